import { assert, describe, it } from "@effect/vitest"
import * as fc from "effect/FastCheck"
import { SendJobs } from "../src/index.js"

const job = (
  id: string,
  pair: string,
  createdAt: number,
  state: SendJobs.JobState = "queued"
): SendJobs.Job => ({ id, business: "+919876500001", customer: pair, createdAt, state })

describe("SendJobs.claimable", () => {
  it("the doc comment's example: a pair's next job waits while an older one is in flight", () => {
    assert.deepStrictEqual(
      SendJobs.claimable([
        { id: "a", business: "+1", customer: "+2", createdAt: 1, state: "sending" },
        { id: "b", business: "+1", customer: "+2", createdAt: 2, state: "queued" },
        { id: "c", business: "+1", customer: "+3", createdAt: 3, state: "queued" }
      ], 10),
      ["c"]
    )
  })

  it("oldest first across pairs, one job per pair, whatever order the jobs come in", () => {
    const jobs = [job("p2-new", "+2", 50), job("p1-new", "+1", 40), job("p2-old", "+2", 20), job("p1-old", "+1", 30)]
    assert.deepStrictEqual(SendJobs.claimable(jobs, 10), ["p2-old", "p1-old"])
    assert.deepStrictEqual(SendJobs.claimable([...jobs].reverse(), 10), ["p2-old", "p1-old"])
    // any iterable, such as a store's map of jobs
    assert.deepStrictEqual(SendJobs.claimable(new Map(jobs.map((j) => [j.id, j])).values(), 10), ["p2-old", "p1-old"])
  })

  it("claimed and started jobs block their pair; a pair with nothing older is free", () => {
    assert.deepStrictEqual(SendJobs.claimable([job("a", "+1", 1, "claimed"), job("b", "+1", 2)], 10), [])
    assert.deepStrictEqual(SendJobs.claimable([job("a", "+1", 1, "sending"), job("b", "+1", 2)], 10), [])
    // a newer claimed job of the pair does not block the older queued one (it cannot happen, but the rule is the line)
    assert.deepStrictEqual(SendJobs.claimable([job("a", "+1", 1), job("b", "+1", 2, "claimed")], 10), ["a"])
    // the same customer of another business is another pair
    assert.deepStrictEqual(
      SendJobs.claimable([job("a", "+1", 1, "sending"), { ...job("b", "+1", 2), business: "+919876500002" }], 10),
      ["b"]
    )
  })

  it("ties on createdAt are broken by id", () => {
    const jobs = [job("m2", "+1", 5), job("m10", "+2", 5), job("m1", "+3", 5), job("m1-fallback", "+1", 5)]
    // ids compare by code units (as the SQL stores' COLLATE "C"): "m1-fallback" < "m10" ("-" is 45, "0" is 48) and
    // "m1-fallback" < "m2", so it is the pair (+1)'s next job, not "m2"
    assert.deepStrictEqual(SendJobs.claimable(jobs, 10), ["m1", "m1-fallback", "m10"])
    assert.deepStrictEqual(SendJobs.claimable([...jobs].reverse(), 2), ["m1", "m1-fallback"])
    assert.deepStrictEqual(SendJobs.claimable([job("b", "+1", 5), job("a", "+1", 5)], 10), ["a"])
    assert.deepStrictEqual(SendJobs.claimable([job("a", "+1", 5), job("a2", "+2", 5)], 10), ["a", "a2"])
  })

  it("a job listed twice (a store read that overlapped) is handed out once", () => {
    assert.deepStrictEqual(SendJobs.claimable([job("a", "+1", 5), job("b", "+2", 6), job("a", "+1", 5)], 10), [
      "a",
      "b"
    ])
  })

  it("limit: at most that many, whole (rounded down), nothing for zero or less", () => {
    const jobs = [job("a", "+1", 1), job("b", "+2", 2), job("c", "+3", 3)]
    assert.deepStrictEqual(SendJobs.claimable(jobs, 2), ["a", "b"])
    assert.deepStrictEqual(SendJobs.claimable(jobs, 2.9), ["a", "b"])
    assert.deepStrictEqual(SendJobs.claimable(jobs, 0), [])
    assert.deepStrictEqual(SendJobs.claimable(jobs, -1), [])
    assert.deepStrictEqual(SendJobs.claimable(jobs, 0.5), [])
    assert.deepStrictEqual(SendJobs.claimable([], 10), [])
  })

  it("id: that job only, when it is claimable", () => {
    const jobs = [job("a", "+1", 1), job("b", "+1", 2), job("c", "+2", 3, "claimed"), job("d", "+3", 4)]
    assert.deepStrictEqual(SendJobs.claimable(jobs, 10, "a"), ["a"])
    assert.deepStrictEqual(SendJobs.claimable(jobs, 10, "d"), ["d"])
    assert.deepStrictEqual(SendJobs.claimable(jobs, 1, "d"), ["d"])
    assert.deepStrictEqual(SendJobs.claimable(jobs, 10, "b"), [])
    assert.deepStrictEqual(SendJobs.claimable(jobs, 10, "c"), [])
    assert.deepStrictEqual(SendJobs.claimable(jobs, 10, "nope"), [])
    assert.deepStrictEqual(SendJobs.claimable(jobs, 0, "a"), [])
  })
})

// ---------------------------------------------------------------------------------------------------------------
// Against a model: per pair, only the oldest job matters (claimable when queued); the claimable ones oldest first.
// ---------------------------------------------------------------------------------------------------------------

const compare = (a: SendJobs.Job, b: SendJobs.Job): number =>
  a.createdAt !== b.createdAt ? a.createdAt - b.createdAt : a.id < b.id ? -1 : a.id > b.id ? 1 : 0

const model = (jobs: ReadonlyArray<SendJobs.Job>, limit: number, id?: string): ReadonlyArray<string> => {
  const oldest = new Map<string, SendJobs.Job>()
  for (const j of jobs) {
    const pair = JSON.stringify([j.business, j.customer])
    const current = oldest.get(pair)
    if (current === undefined || compare(j, current) < 0) oldest.set(pair, j)
  }
  const next = [...oldest.values()].filter((j) => j.state === "queued").sort(compare).map((j) => j.id)
  const wanted = id === undefined ? next : next.filter((x) => x === id)
  return wanted.slice(0, Math.max(0, Math.floor(limit)))
}

const jobsArb = fc.uniqueArray(
  fc.record({
    id: fc.stringMatching(/^m[0-9]{1,3}(-fallback)?$/),
    business: fc.constantFrom("+919876500001", "+919876500002"),
    customer: fc.constantFrom("+919876543210", "+919876543211", "+919876543212"),
    createdAt: fc.integer({ min: 0, max: 6 }),
    state: fc.constantFrom<SendJobs.JobState>("queued", "queued", "claimed", "sending")
  }, { noNullPrototype: false }),
  { selector: (j) => j.id, maxLength: 25 }
)

describe("SendJobs.claimable against a model", () => {
  it.prop("matches the model for any jobs, limit and id; sorted oldest first; never two of a pair; input order free", [
    jobsArb,
    fc.integer({ min: -2, max: 12 }),
    fc.option(fc.oneof(fc.constant("m1"), fc.stringMatching(/^m[0-9]{1,3}$/)), { nil: undefined }),
    fc.infiniteStream(fc.nat())
  ], ([jobs, limit, pick, noise]) => {
    // an id the batch holds most of the time
    const id = pick === undefined || jobs.length === 0 ? pick : jobs[noise.next().value % jobs.length]!.id
    const chosen = SendJobs.claimable(jobs, limit, id)
    assert.deepStrictEqual(chosen, model(jobs, limit, id))
    const byId = new Map(jobs.map((j) => [j.id, j]))
    const picked = chosen.map((x) => byId.get(x)!)
    assert.isAtMost(chosen.length, Math.max(0, limit))
    assert.isTrue(picked.every((j) => j.state === "queued"))
    assert.strictEqual(new Set(picked.map((j) => `${j.business}|${j.customer}`)).size, picked.length)
    for (let i = 1; i < picked.length; i++) assert.isBelow(compare(picked[i - 1]!, picked[i]!), 0)
    // no job of a chosen pair is older than the chosen one
    for (const j of picked) {
      assert.isFalse(
        jobs.some((o) => o.business === j.business && o.customer === j.customer && compare(o, j) < 0)
      )
    }
    const shuffled = [...jobs].sort(() => (noise.next().value % 3) - 1)
    assert.deepStrictEqual(SendJobs.claimable(shuffled, limit, id), chosen)
  }, { fastCheck: { numRuns: 500 } })
})
