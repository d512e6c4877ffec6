/**
 * The fill-mask wire contract: the request, answer and error types, the Jackson codec that reads and writes them
 * ({@link dev.fillmask.schemas.FillMaskCodec}) and the JSON Schema files that describe them
 * ({@link dev.fillmask.schemas.ContractSchemas}).
 *
 * <p>This package knows nothing of models, Flink or Kafka: it never checks for a mask token, and errors are values
 * ({@link dev.fillmask.schemas.DecodedRequest.Invalid}, {@link dev.fillmask.schemas.FillMaskAnswer.Error}), not
 * exceptions.
 */
package dev.fillmask.schemas;
