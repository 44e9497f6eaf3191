import { describe, expect, test } from 'bun:test'
import { contentDisposition, sanitizeFilename } from '../../src/media/filename'

const utf8Length = (s: string) => new TextEncoder().encode(s).length
const LONE_SURROGATE = /\p{Cs}/u

describe('sanitizeFilename', () => {
  test.each([
    ['Unix path', '../../etc/passwd', 'passwd'],
    ['Windows path', 'C:\\a\\b.png', 'b.png'],
    ['mixed separators', 'a/b\\c/d.gif', 'd.gif'],
    ['NUL and control characters', 'a\u0000b\u0007c\u001b\u007f\u0085d.png', 'abcd.png'],
    ['right-to-left override', 'invoice\u202Egnp.exe', 'invoicegnp.exe'],
    ['bidi isolates and marks', '\u2066a\u2069\u200Eb\u200F.png', 'ab.png'],
    ['CRLF header injection', 'a.png\r\nSet-Cookie: x=1', 'a.pngSet-Cookie x=1'],
    ['reserved characters', 'a"b<c>d|e:f*g?h.png', 'abcdefgh.png'],
    ['whitespace runs', '  my   holiday\u3000\t photo.png  ', 'my holiday photo.png'],
    ['leading dots', '..hidden.png', 'hidden.png'],
    ['dotfile', '.env', 'env'],
    ['NFC normalisation', 'cafe\u0301.png', 'caf\u00e9.png'],
    ['lone surrogate', 'a\uD800b.png', 'ab.png'],
    ['Japanese', '青い空の写真.jpg', '青い空の写真.jpg'],
    ['emoji', '休暇 🏖️👨‍👩‍👧.webp', '休暇 🏖️👨‍👩‍👧.webp'],
    ['plain name', 'photo-01 (1).jpeg', 'photo-01 (1).jpeg'],
  ])('%s', (_, input, expected) => {
    expect(sanitizeFilename(input)).toBe(expected)
  })

  test.each([
    ['empty', ''],
    ['null', null],
    ['undefined', undefined],
    ['dot', '.'],
    ['parent', '..'],
    ['dots', '...'],
    ['directory only', 'a/b/'],
    ['spaces', '   '],
    ['only control characters', '\u0000\r\n'],
  ])('%s falls back to "upload"', (_, input) => {
    expect(sanitizeFilename(input)).toBe('upload')
  })

  test('a 1000-character name is bounded to 255 UTF-8 bytes and keeps .png', () => {
    const name = sanitizeFilename(`${'a'.repeat(1000)}.png`)
    expect(utf8Length(name)).toBe(255)
    expect(name).toBe(`${'a'.repeat(251)}.png`)
  })

  test('Japanese is cut between characters, never inside one', () => {
    const name = sanitizeFilename(`${'青'.repeat(200)}.png`)
    expect(utf8Length(name)).toBeLessThanOrEqual(255)
    expect(name).toMatch(/^青+\.png$/)
    expect(name).toBe(`${'青'.repeat(83)}.png`)
  })

  test('emoji are cut between graphemes, never between surrogates or inside a ZWJ sequence', () => {
    const family = '👨‍👩‍👧'
    for (const unit of ['😀', family]) {
      const name = sanitizeFilename(`${unit.repeat(100)}.jpg`)
      expect(utf8Length(name)).toBeLessThanOrEqual(255)
      expect(name).not.toMatch(LONE_SURROGATE)
      expect(name.endsWith('.jpg')).toBe(true)
      expect(
        name
          .slice(0, -4)
          .split(unit)
          .every((part) => part === ''),
      ).toBe(true)
    }
  })

  test('a long extension is not kept whole', () => {
    const name = sanitizeFilename(`${'a'.repeat(300)}.${'x'.repeat(20)}`)
    expect(utf8Length(name)).toBe(255)
    expect(name).toBe('a'.repeat(255))
  })

  test('a single huge grapheme is still bounded', () => {
    const name = sanitizeFilename(`a${'\u0301'.repeat(300)}`)
    expect(name.length).toBeGreaterThan(0)
    expect(utf8Length(name)).toBeLessThanOrEqual(255)
  })

  test('sanitising twice changes nothing', () => {
    for (const input of ['../x/ a  b.png', `${'🌸'.repeat(90)}.gif`, '.. .env']) {
      const once = sanitizeFilename(input)
      expect(sanitizeFilename(once)).toBe(once)
    }
  })
})

describe('contentDisposition', () => {
  test('non-ASCII names get an ASCII fallback and an RFC 5987 filename*', () => {
    expect(contentDisposition('青い空.png')).toBe(
      `inline; filename="___.png"; filename*=UTF-8''%E9%9D%92%E3%81%84%E7%A9%BA.png`,
    )
  })

  test('attachment, and characters RFC 5987 does not allow unescaped', () => {
    expect(contentDisposition("it's (final)*.pdf", 'attachment')).toBe(
      `attachment; filename="it's (final)*.pdf"; filename*=UTF-8''it%27s%20%28final%29%2A.pdf`,
    )
  })

  test('quotes, backslashes, percent signs and emoji never reach the quoted fallback', () => {
    const value = contentDisposition('a"b\\c%41😀.png')
    expect(value).toStartWith('inline; filename="a_b_c_41_.png"; ')
  })

  test('CR and LF cannot break out of the header', () => {
    const value = contentDisposition('a.png\r\nSet-Cookie: x=1')
    expect(value).not.toMatch(/[\r\n]/)
  })

  test('filename* decodes back to the original name', () => {
    const name = '休暇 🏖️ (1).jpg'
    const encoded = contentDisposition(name).split("filename*=UTF-8''")[1] ?? ''
    expect(decodeURIComponent(encoded)).toBe(name)
  })

  test('an empty name falls back to "upload"', () => {
    expect(contentDisposition('')).toBe(`inline; filename="upload"; filename*=UTF-8''upload`)
  })
})
