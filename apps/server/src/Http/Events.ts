import { HttpApiBuilder, type HttpApiGroup } from "@effect/platform"
import {
  type Authorization,
  DEFAULT_PAGE_SIZE,
  EndpointConfiguredError,
  EndpointNotFoundError,
  InvalidEndpointError,
  InvalidRequestError,
  WaSessionApi
} from "@wa-session/http-api"
import { Delivery, Event, type EventLog, RelayService, type Tokens } from "@wa-session/session-core"
import { Effect, Either, type Layer, Option, Redacted } from "effect"
import * as Translate from "./Translate.js"

/** `type=a,b`: the event types, each checked. */
const typesOf = (param: string | undefined) =>
  param === undefined
    ? Effect.succeed(Option.none<ReadonlyArray<Event.EventType>>())
    : Either.match(Event.parseTypes(param), {
      onLeft: (message) => Effect.fail(new InvalidRequestError({ message, path: "type" })),
      onRight: (types) => Effect.succeed(Option.some(types))
    })

const endpointNotFound = (e: RelayService.EndpointNotFound) =>
  Effect.fail(new EndpointNotFoundError({ message: e.message, id: e.id }))

export const EventsLive: Layer.Layer<
  HttpApiGroup.ApiGroup<"wa-session", "events">,
  never,
  EventLog.EventLog | Tokens.Tokens | Authorization
> = HttpApiBuilder.group(WaSessionApi, "events", (handlers) =>
  handlers
    .handle("listEvents", ({ urlParams }) =>
      Effect.gen(function*() {
        const page = yield* RelayService.listEvents({
          after: Option.fromNullable(urlParams.after),
          types: yield* typesOf(urlParams.type),
          limit: urlParams.limit ?? DEFAULT_PAGE_SIZE
        })
        return { items: page.items, last: Option.getOrNull(page.last) }
      }).pipe(
        Effect.catchTags({
          InvalidCursor: Translate.invalidCursor("after"),
          StorageError: Translate.storageError
        })
      ))
    .handle("addEndpoint", ({ payload }) =>
      RelayService.addEndpoint({
        url: payload.url,
        events: Option.fromNullable(payload.events),
        secret: Option.map(Option.fromNullable(payload.secret), Redacted.make)
      }).pipe(
        Effect.tap((endpoint) =>
          Effect.logInfo("endpoint added").pipe(
            Effect.annotateLogs({ id: endpoint.id, url: Delivery.redactUrl(endpoint.url) })
          )
        ),
        Effect.map((endpoint) => ({
          ...Translate.endpointView(endpoint),
          secret: payload.secret === undefined ? Redacted.value(endpoint.secret) : null
        })),
        Effect.catchTags({
          InvalidEndpoint: (e) => Effect.fail(new InvalidEndpointError({ message: e.message, path: e.field })),
          StorageError: Translate.storageError
        })
      ))
    .handle("listEndpoints", () =>
      RelayService.listEndpoints.pipe(
        Effect.map((endpoints) => ({ items: endpoints.map(Translate.endpointView) })),
        Effect.catchTag("StorageError", Translate.storageError)
      ))
    .handle("deleteEndpoint", ({ path }) =>
      RelayService.deleteEndpoint(path.id).pipe(
        Effect.tap(() => Effect.logInfo("endpoint deleted").pipe(Effect.annotateLogs({ id: path.id }))),
        Effect.catchTags({
          EndpointNotFound: endpointNotFound,
          EndpointConfigured: (e) => Effect.fail(new EndpointConfiguredError({ message: e.message, id: e.id })),
          StorageError: Translate.storageError
        })
      ))
    .handle("listDeliveries", ({ urlParams }) =>
      RelayService.listDeliveries({
        state: Option.fromNullable(urlParams.state),
        endpointId: Option.fromNullable(urlParams.endpoint),
        limit: urlParams.limit ?? DEFAULT_PAGE_SIZE,
        cursor: Option.fromNullable(urlParams.cursor)
      }).pipe(
        Effect.map((page) => ({
          items: page.items.map(Translate.deliveryView),
          nextCursor: Option.getOrNull(page.nextCursor)
        })),
        Effect.catchTags({ InvalidCursor: Translate.invalidCursor("cursor"), StorageError: Translate.storageError })
      ))
    .handle("replay", ({ payload }) =>
      Effect.gen(function*() {
        if (payload.since === undefined && payload.eventIds === undefined) {
          return yield* new InvalidRequestError({
            message: "since or eventIds: say which events to deliver again",
            path: "since"
          })
        }
        const replayed = yield* RelayService.replay({
          endpointId: Option.fromNullable(payload.endpoint),
          since: Option.fromNullable(payload.since),
          eventIds: Option.fromNullable(payload.eventIds)
        })
        yield* Effect.logInfo("deliveries replayed").pipe(Effect.annotateLogs({ replayed }))
        return { replayed }
      }).pipe(Effect.catchTags({ EndpointNotFound: endpointNotFound, StorageError: Translate.storageError }))))
