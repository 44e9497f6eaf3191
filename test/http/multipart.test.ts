import { describe, expect, test } from 'bun:test'
import { MultipartError, multipartBoundary, parseMultipart } from '../../src/http/multipart'

const enc = new TextEncoder()
const dec = new TextDecoder()
const parse = (body: string | Uint8Array, boundary = 'B') =>
  parseMultipart(typeof body === 'string' ? enc.encode(body) : body, boundary)
const field = (name: string, value: string, extra = '') =>
  `--B\r\nContent-Disposition: form-data; name="${name}"${extra}\r\n\r\n${value}\r\n`
const simplified = (body: string) =>
  parse(body).map((p) => ({ name: p.name, filename: p.filename, text: dec.decode(p.body) }))

describe('multipartBoundary', () => {
  test.each([
    ['multipart/form-data; boundary=abc', 'abc'],
    ['multipart/form-data; boundary="a b:c"', 'a b:c'],
    [
      'Multipart/Form-Data; charset=utf-8; BOUNDARY=----WebKitFormBoundary7MA4YWxk',
      '----WebKitFormBoundary7MA4YWxk',
    ],
    ['multipart/form-data;boundary=x', 'x'],
  ])('%s → %s', (header, boundary) => {
    expect(multipartBoundary(header)).toBe(boundary)
  })

  test.each([
    'multipart/form-data',
    'multipart/form-data; boundary=',
    'multipart/form-data; boundary=""',
    'multipart/mixed; boundary=abc',
    'application/json',
    `multipart/form-data; boundary=${'x'.repeat(71)}`,
    'multipart/form-data; boundary="ab "',
    'multipart/form-data; boundary="a\r\nb"',
  ])('%s has no usable boundary', (header) => {
    expect(multipartBoundary(header)).toBeUndefined()
  })

  test('70 characters is the longest boundary', () => {
    expect(multipartBoundary(`multipart/form-data; boundary=${'x'.repeat(70)}`)).toBe(
      'x'.repeat(70),
    )
  })
})

describe('parseMultipart', () => {
  test('fields and a file part; file bytes are a view into the body, not a copy', () => {
    const head = enc.encode(
      `${field('metadata', '{"title":"T"}')}--B\r\nContent-Disposition: form-data; name="image_file"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`,
    )
    // "\0\r\n--C--B\xff": line breaks and "--B" inside, never "\r\n--B"
    const bytes = Uint8Array.from([0, 13, 10, 45, 45, 67, 45, 45, 66, 255])
    const tail = enc.encode('\r\n--B--\r\n')
    const body = new Uint8Array([...head, ...bytes, ...tail])
    const [meta, file] = parse(body)
    expect(meta).toMatchObject({ name: 'metadata', filename: undefined })
    expect(dec.decode(meta?.body)).toBe('{"title":"T"}')
    expect(file).toMatchObject({ name: 'image_file', filename: 'a.png', contentType: 'image/png' })
    expect([...(file?.body ?? [])]).toEqual([...bytes])
    expect(file?.body.buffer).toBe(body.buffer)
  })

  test('preamble and epilogue are ignored; the close delimiter may end the body', () => {
    expect(simplified(`preamble\r\n${field('a', '1')}--B--\r\nepilogue`)).toEqual([
      { name: 'a', filename: undefined, text: '1' },
    ])
    expect(simplified(`${field('a', '1')}--B--`)).toHaveLength(1)
  })

  test('empty values, empty file names, and padding after a delimiter', () => {
    expect(
      simplified(`${field('a', '')}--B  \r\n${field('f', 'x', '; filename=""').slice(5)}--B--`),
    ).toEqual([
      { name: 'a', filename: undefined, text: '' },
      { name: 'f', filename: '', text: 'x' },
    ])
  })

  test('header names and the disposition type are case-insensitive; unquoted parameters work', () => {
    const body =
      '--B\r\ncontent-disposition: FORM-DATA; NAME=f; FileName=plain.png\r\n\r\nx\r\n--B--'
    expect(simplified(body)).toEqual([{ name: 'f', filename: 'plain.png', text: 'x' }])
  })

  test('quoted strings: backslash escapes, semicolons inside quotes, percent signs kept as sent', () => {
    const body = `${field('f', 'x', '; filename="a\\"b;c%22d.png"')}--B--`
    expect(simplified(body)[0]?.filename).toBe('a"b;c%22d.png')
  })

  test('raw UTF-8 names, and filename* (RFC 8187) preferred over filename', () => {
    expect(simplified(`${field('f', 'x', '; filename="日本.png"')}--B--`)[0]?.filename).toBe(
      '日本.png',
    )
    const ext = `${field('f', 'x', `; filename="fallback.png"; filename*=UTF-8''%E6%97%A5%20x.png`)}--B--`
    expect(simplified(ext)[0]?.filename).toBe('日 x.png')
    const latin1 = `${field('f', 'x', `; filename*=iso-8859-1'en'caf%E9.png`)}--B--`
    expect(simplified(latin1)[0]?.filename).toBe('café.png')
  })

  test('an undecodable filename* falls back to filename', () => {
    const bad = `${field('f', 'x', `; filename="ok.png"; filename*=UTF-8''%FF%FE.png`)}--B--`
    expect(simplified(bad)[0]?.filename).toBe('ok.png')
    const charset = `${field('f', 'x', `; filename="ok.png"; filename*=koi8-r''x.png`)}--B--`
    expect(simplified(charset)[0]?.filename).toBe('ok.png')
  })

  test('parts without a form-data disposition or a name are skipped', () => {
    const body = `--B\r\nX-Other: 1\r\n\r\nx\r\n--B\r\nContent-Disposition: attachment; name="a"\r\n\r\ny\r\n${field('c', 'z')}${field('', 'w').replace('name=""', 'nothing')}--B--`
    expect(simplified(body).map((p) => p.name)).toEqual(['c'])
  })

  test('the same name twice gives two parts', () => {
    expect(simplified(`${field('a', '1')}${field('a', '2')}--B--`).map((p) => p.text)).toEqual([
      '1',
      '2',
    ])
  })

  test('a boundary-like line inside content only ends the part after CRLF', () => {
    expect(simplified(`${field('a', 'x--B y\n--B z')}--B--`)[0]?.text).toBe('x--B y\n--B z')
  })

  test.each([
    ['empty body', ''],
    ['no opening boundary', 'hello world'],
    ['another boundary', field('a', '1').replaceAll('--B', '--C')],
    ['cut mid-part', field('a', '1').slice(0, -4)],
    ['no close delimiter', field('a', '1')],
    ['cut inside the headers', '--B\r\nContent-Disposition: form-data; name="a"'],
    ['LF line ends', '--B\nContent-Disposition: form-data; name="a"\n\n1\n--B--\n'],
    ['garbage after a delimiter', `--Bxyz\r\n${field('a', '1').slice(5)}--B--`],
    ['a header line without a colon', '--B\r\nContent-Disposition form-data\r\n\r\n1\r\n--B--'],
    ['headers over 16 KiB', `--B\r\nX-Long: ${'a'.repeat(17 * 1024)}\r\n\r\n1\r\n--B--`],
  ])('%s is refused', (_, body) => {
    expect(() => parse(body)).toThrow(MultipartError)
  })

  test('a part whose name has an unterminated quote has no name and is skipped', () => {
    expect(parse('--B\r\nContent-Disposition: form-data; name="a\r\n\r\n1\r\n--B--')).toEqual([])
  })

  test('100 parts are accepted, 101 refused', () => {
    const parts = (n: number) =>
      `${Array.from({ length: n }, (_, i) => field(`f${i}`, 'x')).join('')}--B--`
    expect(parse(parts(100))).toHaveLength(100)
    expect(() => parse(parts(101))).toThrow(/more than 100 parts/)
  })

  test.each([
    [
      'without a name',
      (i: number) => `--B\r\nContent-Disposition: form-data; x="${i}"\r\n\r\nx\r\n`,
    ],
    ['without a disposition', () => '--B\r\nX-Other: 1\r\n\r\nx\r\n'],
    ['without headers', () => '--B\r\n\r\nx\r\n'],
  ])('skipped parts %s count against the 100-part cap', (_, skipped) => {
    const body = (n: number) =>
      `${field('a', '1')}${Array.from({ length: n }, (_, i) => skipped(i)).join('')}--B--`
    expect(simplified(body(99))).toEqual([{ name: 'a', filename: undefined, text: '1' }])
    expect(() => parse(body(100))).toThrow(/more than 100 parts/)
    expect(() => parse(body(100_000))).toThrow(/more than 100 parts/)
  })
})
