import { describe, expect, it } from 'vitest'
import { ApiError } from '../../api'
import { runBulk, summary } from './bulk'

describe('bulk actions', () => {
  it('goes on after a refusal and keeps each case its own result, in order', async () => {
    const seen: number[] = []
    const progress: number[] = []
    const out = await runBulk(
      [1, 2, 3],
      async (id) => {
        seen.push(id)
        if (id === 2) throw new ApiError(409, 'illegal_transition', '案卷 2（已结案）不能立案')
      },
      (done) => progress.push(done.length),
    )
    expect(seen).toEqual([1, 2, 3])
    expect(progress).toEqual([1, 2, 3])
    expect(out).toEqual([
      { id: 1, ok: true },
      { id: 2, ok: false, status: 409, message: '案卷 2（已结案）不能立案' },
      { id: 3, ok: true },
    ])
    expect(summary(out)).toEqual({ ok: 2, failed: 1 })
  })
})
