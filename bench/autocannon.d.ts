// The part of autocannon's API the bench uses (autocannon ships no types; @types/autocannon is not in the catalog).
declare module "autocannon" {
  interface Histogram {
    readonly average: number
    readonly mean: number
    readonly min: number
    readonly max: number
    readonly p50: number
    readonly p90: number
    readonly p99: number
  }
  interface Result {
    readonly requests: Histogram & { readonly total: number; readonly sent: number }
    readonly latency: Histogram
    readonly throughput: Histogram
    readonly duration: number
    readonly errors: number
    readonly timeouts: number
    readonly non2xx: number
    readonly statusCodeStats: Readonly<Record<string, { readonly count: number }>>
  }
  interface RequestParams {
    method?: string
    path?: string
    headers?: Record<string, string>
    body?: string
  }
  interface Options {
    url: string
    connections?: number
    duration?: number
    amount?: number
    pipelining?: number
    timeout?: number
    method?: string
    headers?: Record<string, string>
    requests?: ReadonlyArray<
      RequestParams & { setupRequest?: (request: RequestParams, context: object) => RequestParams }
    >
  }
  function autocannon(options: Options): Promise<Result>
  export default autocannon
}
