/**
 * The vitest runner of the contract suites that live beside the ports, in `@wa-session/session-core/testing/*`:
 * one `describe` per suite over one store (built once, shared by the cases), one test per case, with the case's
 * name.
 */
import { layer } from "@effect/vitest"
import type { ContractCase } from "@wa-session/session-core/testing/ContractCase"
import type { Layer } from "effect"

export const runContract = <R>(
  name: string,
  storeLayer: Layer.Layer<R, unknown>,
  cases: ReadonlyArray<ContractCase<R>>
) =>
  layer(storeLayer, { excludeTestServices: true, timeout: "60 seconds" })(name, (it) => {
    for (const contractCase of cases) it.effect(contractCase.name, () => contractCase.run, contractCase.timeout)
  })
