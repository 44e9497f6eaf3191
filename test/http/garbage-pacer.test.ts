import { describe, expect, test } from 'bun:test'
import { GarbagePacer } from '../../src/http/garbage-pacer'

describe('GarbagePacer', () => {
  test('collects once each time the threshold has passed, exactly at the threshold', () => {
    let collections = 0
    const pacer = new GarbagePacer(100, () => collections++)
    pacer.released(60)
    pacer.released(39)
    expect(collections).toBe(0)
    pacer.released(1)
    expect(collections).toBe(1)
    pacer.released(99)
    expect(collections).toBe(1)
    pacer.released(250)
    expect(collections).toBe(2)
  })
})
