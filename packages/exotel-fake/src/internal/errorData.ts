/** The error object of a refused request, as Exotel writes it in its answer. */
export interface ErrorData {
  readonly code: number
  readonly message: string
  readonly description: string
}
