import { assert, describe, it } from "@effect/vitest"
import { type ConfigError, ConfigProvider, Effect, Layer, LogLevel } from "effect"
import { Logging } from "../src/index.js"

const withEnv = (vars: Record<string, string>) =>
  Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(vars))))

const failure = <A>(effect: Effect.Effect<A, ConfigError.ConfigError>) =>
  Effect.map(Effect.flip(effect), (error) => (error._op === "InvalidData" ? error.message : String(error)))

/** Runs `effect` with the logger of `settings` writing into a memory console; answers what it wrote. */
const written = <E>(
  effect: Effect.Effect<void, E>,
  layer: Layer.Layer<never, ConfigError.ConfigError>
) =>
  Effect.gen(function*() {
    const memory = Logging.makeMemoryConsole()
    yield* effect.pipe(Effect.provide(layer), Effect.withConsole(memory.console))
    return memory
  })

const logs = Effect.gen(function*() {
  yield* Effect.logDebug("looking closer")
  yield* Effect.logInfo("webhook batch recorded").pipe(Effect.annotateLogs({ accepted: 2, duplicates: 0 }))
  yield* Effect.logWarning("not ready")
  yield* Effect.logError("request failed", new Error("boom"))
})

describe("Logging", () => {
  it.effect("the settings default to logfmt from info up; values are read in any case", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* Logging.logSettings.pipe(withEnv({})), Logging.DEFAULTS)
      assert.deepStrictEqual(
        yield* Logging.logSettings.pipe(withEnv({ WA_SESSION_LOG_FORMAT: "JSON", WA_SESSION_LOG_LEVEL: " Debug" })),
        { format: "json", level: LogLevel.Debug }
      )
      assert.deepStrictEqual(yield* Logging.logLevel.pipe(withEnv({ WA_SESSION_LOG_LEVEL: "none" })), LogLevel.None)
      // a command line's default
      assert.deepStrictEqual(yield* Logging.logSettingsOr("warning").pipe(withEnv({})), {
        format: "logfmt",
        level: LogLevel.Warning
      })
      assert.deepStrictEqual(
        yield* Logging.logSettingsOr("warning").pipe(withEnv({ WA_SESSION_LOG_LEVEL: "debug" })),
        { format: "logfmt", level: LogLevel.Debug }
      )
    }))

  it.effect("an invalid value is a configuration error naming the variable, the value and the choices", () =>
    Effect.gen(function*() {
      assert.strictEqual(
        yield* failure(Logging.logSettings.pipe(withEnv({ WA_SESSION_LOG_FORMAT: "xml" }))),
        "WA_SESSION_LOG_FORMAT must be one of logfmt, json, got \"xml\""
      )
      assert.strictEqual(
        yield* failure(Logging.logSettings.pipe(withEnv({ WA_SESSION_LOG_LEVEL: "verbose" }))),
        "WA_SESSION_LOG_LEVEL must be one of trace, debug, info, warning, error, none, got \"verbose\""
      )
      const layerFailure = yield* Effect.flip(
        Layer.build(Logging.layerConfig()).pipe(Effect.scoped, withEnv({ WA_SESSION_LOG_LEVEL: "loud" }))
      )
      assert.include(String(layerFailure), "WA_SESSION_LOG_LEVEL")
    }))

  it.effect("json: one JSON object a line, with level, message, annotations and the cause", () =>
    Effect.gen(function*() {
      const memory = yield* written(logs, Logging.layer({ format: "json", level: LogLevel.Info }))
      const lines = memory.stdout.map((line) => JSON.parse(line))
      assert.deepStrictEqual(lines.map((line) => [line.level, line.message]), [
        ["INFO", "webhook batch recorded"],
        ["WARN", "not ready"],
        ["ERROR", ["request failed", "Error: boom"]]
      ])
      assert.strictEqual(lines[0].accepted, 2)
      assert.strictEqual(lines[0].duplicates, 0)
      assert.match(lines[0].timestamp, /^\d{4}-\d\d-\d\dT/)
      assert.match(lines[0].fiber, /^#\d+$/)
      assert.isUndefined(lines[0].cause)
      assert.deepStrictEqual(memory.stderr, [])
    }))

  it.effect("an annotation named like a key of the line does not replace it", () =>
    Effect.gen(function*() {
      const memory = yield* written(
        Effect.logInfo("hello").pipe(Effect.annotateLogs({ level: "mine", message: "also mine" })),
        Logging.layer({ format: "json", level: LogLevel.Info })
      )
      const line = JSON.parse(memory.stdout[0]!)
      assert.strictEqual(line.level, "INFO")
      assert.strictEqual(line.message, "hello")
      assert.strictEqual(line["annotation.level"], "mine")
      assert.strictEqual(line["annotation.message"], "also mine")
    }))

  it.effect("logfmt stays Effect's logfmt", () =>
    Effect.gen(function*() {
      const memory = yield* written(logs, Logging.layer(Logging.DEFAULTS))
      assert.strictEqual(memory.stdout.length, 3)
      assert.match(
        memory.stdout[0]!,
        /^timestamp=\S+ level=INFO fiber=#\d+ message="webhook batch recorded" .*accepted=2/
      )
    }))

  it.effect("the level filters: debug shows more, error less, none nothing", () =>
    Effect.gen(function*() {
      const levelsAt = (level: string) =>
        Effect.map(
          written(
            logs,
            Logging.layerConfig().pipe(Layer.provide(Layer.setConfigProvider(
              ConfigProvider.fromMap(new Map([["WA_SESSION_LOG_LEVEL", level], ["WA_SESSION_LOG_FORMAT", "json"]]))
            )))
          ),
          (memory) => memory.stdout.map((line) => JSON.parse(line).level)
        )
      assert.deepStrictEqual(yield* levelsAt("debug"), ["DEBUG", "INFO", "WARN", "ERROR"])
      assert.deepStrictEqual(yield* levelsAt("info"), ["INFO", "WARN", "ERROR"])
      assert.deepStrictEqual(yield* levelsAt("warning"), ["WARN", "ERROR"])
      assert.deepStrictEqual(yield* levelsAt("error"), ["ERROR"])
      assert.deepStrictEqual(yield* levelsAt("none"), [])
    }))

  it.effect("output stderr writes through Console.error", () =>
    Effect.gen(function*() {
      const memory = yield* written(logs, Logging.layer(Logging.DEFAULTS, { output: "stderr" }))
      assert.deepStrictEqual(memory.stdout, [])
      assert.strictEqual(memory.stderr.length, 3)
    }))
})
