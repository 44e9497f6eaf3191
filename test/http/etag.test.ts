import { describe, expect, test } from 'bun:test'
import { ifNoneMatchHits } from '../../src/http/etag'

const ETAG = '"0123abcd"'

describe('ifNoneMatchHits (RFC 9110 weak comparison)', () => {
  test.each([
    ['"0123abcd"', true],
    ['W/"0123abcd"', true],
    ['*', true],
    [' * ', true],
    ['"x", W/"0123abcd"', true],
    ['"x,y", "0123abcd"', true],
    ['"x",,"0123abcd"', true],
    [', "0123abcd" ,', true],
    ['"x", ,', false],
    ['"0123abcd', false],
    ['0123abcd', false],
    ['w/"0123abcd"', false],
    ['W/ "0123abcd"', false],
    ['"x", *', false],
    ['', false],
    ['"other"', false],
  ])('%p → %p', (header, hit) => {
    expect(ifNoneMatchHits(header, ETAG)).toBe(hit)
  })

  test('absent header: no hit; a weak stored tag compares weakly too', () => {
    expect(ifNoneMatchHits(undefined, ETAG)).toBe(false)
    expect(ifNoneMatchHits('"0123abcd"', 'W/"0123abcd"')).toBe(true)
  })
})
