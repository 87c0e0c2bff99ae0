/**
 * The shape of every aggregate in src/domain: plain functions over plain data.
 *
 * ```ts
 * const state = events.reduce(postDecider.evolve, postDecider.initialState());
 * const newEvents = postDecider.decide(approvePost({ by: 'user-1' }), state);
 * ```
 */
export interface Decider<Command, Event, State> {
  initialState(): State;
  /** Decides what happens; throws a DomainError when the command breaks a rule. */
  decide(command: Command, state: State): Event[];
  evolve(state: State, event: Event): State;
  /**
   * Optional: true when the event alone determines the state after it (evolve ignores the
   * state before it). Loading may then start from the latest such event instead of the
   * beginning of the stream, which keeps long streams (engagement) cheap to decide on.
   */
  resetsState?(event: Event): boolean;
}

/** A domain event before it is stored: a past-tense type and its data. */
export interface DomainEvent<Type extends string = string, Data = unknown> {
  type: Type;
  data: Data;
}

/** Folds events into a state. */
export function fold<Command, Event, State>(decider: Decider<Command, Event, State>, events: readonly Event[]): State {
  return events.reduce((state, event) => decider.evolve(state, event), decider.initialState());
}
