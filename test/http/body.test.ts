import { describe, expect, test } from 'bun:test'
import { fileTooLarge } from '../../src/http/body'

describe('fileTooLarge', () => {
  test.each([
    [5 * 1024 * 1024, 'Maximum file size is 5MB (5242880 bytes)'],
    [1.5 * 1024 * 1024, 'Maximum file size is 1.5MB (1572864 bytes)'],
    [1000, 'Maximum file size is 0.000954MB (1000 bytes)'],
  ])('%d bytes: the old error string with the configured limit', (bytes, message) => {
    const err = fileTooLarge(bytes)
    expect([err.status, err.error, err.message]).toEqual([413, 'File too large', message])
  })
})
