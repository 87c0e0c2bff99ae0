import { DomainError } from '../errors';

export class GenerationNotFound extends DomainError {
  constructor() {
    super('GenerationNotFound', 'no such generation', 'notFound');
  }
}

export class GenerationAlreadyRequested extends DomainError {
  constructor(generationId: string) {
    super('GenerationAlreadyRequested', `generation ${generationId} already exists`);
  }
}

/** A generation settles once: completed, failed or timed out. */
export class GenerationAlreadySettled extends DomainError {
  constructor(status: string) {
    super('GenerationAlreadySettled', `the generation is already ${status}`);
  }
}

export class GenerationNotCompleted extends DomainError {
  constructor(status: string) {
    super('GenerationNotCompleted', `the generation is ${status}; only a completed one can be applied`);
  }
}

export class InvalidGenerationKind extends DomainError {
  constructor(kind: string) {
    super('InvalidGenerationKind', `${JSON.stringify(kind)} is not a generation kind (caption, hashtags, rewrite, image)`, 'invalid', 'kind');
  }
}

export class InvalidPrompt extends DomainError {
  constructor() {
    super('InvalidPrompt', 'prompt must have 1–4000 characters', 'invalid', 'prompt');
  }
}

export class InvalidGenerationOutput extends DomainError {
  constructor(field: string, message: string) {
    super('InvalidGenerationOutput', message, 'invalid', field);
  }
}

export class InvalidGenerationError extends DomainError {
  constructor() {
    super('InvalidGenerationError', 'error must have 1–2000 characters', 'invalid', 'error');
  }
}
