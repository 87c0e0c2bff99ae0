import { currentSchemaVersion, parseEvent } from '../../../src/domain/catalogue';
import { type Decider, type DomainEvent, fold } from '../../../src/domain/decider';
import { DomainError } from '../../../src/domain/errors';

/** Event types emitted by `then` in the current test file (jest gives each file its own module registry). */
const emitted = new Set<string>();

type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * A domain test that reads like the rule it checks. Every event, given or emitted, must
 * be in the catalogue, validate against its schema and survive JSON unchanged.
 *
 * ```ts
 * given(postDecider, [postDrafted, postSubmitted]).when(approvePost).then([postApproved]);
 * given(postDecider, [postDrafted, postSubmitted]).when(approveOwnPost).thenThrows(PostAuthorCannotApprove);
 * ```
 */
export function given<Command, Event extends DomainEvent, State>(decider: Decider<Command, Event, State>, history: readonly Event[] = []) {
  history.forEach(expectStorable);
  const state = fold(decider, history);
  return {
    when(command: Command) {
      return {
        /** Expects exactly these events; returns the state after them. */
        then(expected: readonly Event[]): State {
          const events = decider.decide(command, state);
          expect(events).toStrictEqual(expected);
          events.forEach((event) => {
            expectStorable(event);
            emitted.add(event.type);
          });
          return events.reduce(decider.evolve, state);
        },
        /** Expects the error class (a subclass counts) and, optionally, some of its properties. */
        thenThrows(errorClass: ErrorClass, properties: Partial<Pick<DomainError, 'kind' | 'field' | 'code'>> = {}): void {
          let thrown: unknown;
          try {
            decider.decide(command, state);
          } catch (error) {
            thrown = error;
          }
          expect(thrown).toBeInstanceOf(errorClass);
          // A domain error's code is its class name, so clients can switch on either.
          if (thrown instanceof DomainError) expect(thrown.code).toBe(thrown.constructor.name);
          expect(thrown).toMatchObject(properties);
        },
      };
    },
  };
}

/** The state after `history`, for tests of evolve and of the exported helpers. */
export function stateAfter<Command, Event extends DomainEvent, State>(decider: Decider<Command, Event, State>, history: readonly Event[]): State {
  history.forEach(expectStorable);
  return fold(decider, history);
}

/** Expects every type in `types` to have been emitted by some `then` in this file. */
export function expectEveryTypeEmitted(types: readonly string[]): void {
  expect(types.filter((type) => !emitted.has(type))).toEqual([]);
}

function expectStorable(event: DomainEvent): void {
  expect(parseEvent(event.type, currentSchemaVersion(event.type), event.data)).toStrictEqual(event);
  // JSON drops undefined fields, and the event store refuses them: events must not carry any.
  expect(JSON.parse(JSON.stringify(event.data))).toStrictEqual(event.data);
}
