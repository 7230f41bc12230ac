/** Marks a body that is not JSON although it was read as such. */
export const NOT_JSON: unique symbol = Symbol('not JSON');

/** An upstream's JSON answer as the backend read it whole: what later checks use instead of reading it again. */
export interface ReadAnswer {
  text: string;
  json: unknown;
}

// Keyed by the Response itself, so a note goes when its answer does.
const notes = new WeakMap<Response, ReadAnswer>();

export function noteReadAnswer(response: Response, read: ReadAnswer): Response {
  notes.set(response, read);
  return response;
}

/** The JSON body read for this answer, if the HTTP backend read it whole (small answers); undefined if it streams. */
export function readAnswerOf(response: Response): ReadAnswer | undefined {
  return notes.get(response);
}
