-- Fill-mask in Flink SQL: requests from Kafka -> ML_PREDICT with the fill-mask model (in the job's own slots,
-- batched on one ONNX Runtime session per subtask) -> answers to Kafka, under the request's key.
--
-- ./fill-mask sql fills in the ${...} placeholders (the job options of the same names). For the SQL Client, write
-- your values in their place: the broker, the topics, and a model folder that exists on every TaskManager (or
-- 'bert-base-uncased', the built-in model, imported where the statement is planned).

-- Answers are written in Kafka transactions committed with each checkpoint: read them with
-- isolation.level=read_committed.
SET 'execution.checkpointing.interval' = '${checkpoint-interval}';

-- Each request as it is on the topic: the key and the value's bytes. The model reads the value exactly as
-- `./fill-mask predict` reads a line, so malformed records (not JSON, wrong types, invalid UTF-8, tombstones) get
-- their error answers instead of being dropped or failing the job, as a 'json' value format would.
CREATE TABLE requests (
  request_key BYTES,
  request BYTES
) WITH (
  'connector' = 'kafka',
  'topic' = '${input-topic}',
  'properties.bootstrap.servers' = '${bootstrap-servers}',
  'properties.group.id' = 'fill-mask-sql',
  'properties.auto.offset.reset' = 'earliest',
  'scan.startup.mode' = 'group-offsets',
  'key.format' = 'raw',
  'key.fields' = 'request_key',
  'value.format' = 'raw',
  'value.fields-include' = 'EXCEPT_KEY'
);

CREATE TABLE answers (
  request_key BYTES,
  answer STRING
) WITH (
  'connector' = 'kafka',
  'topic' = '${output-topic}',
  'properties.bootstrap.servers' = '${bootstrap-servers}',
  'key.format' = 'raw',
  'key.fields' = 'request_key',
  'value.format' = 'raw',
  'value.fields-include' = 'EXCEPT_KEY',
  'sink.delivery-guarantee' = 'exactly-once',
  'sink.transactional-id-prefix' = 'fill-mask-sql',
  -- The producer's default (1 hour) is above what a broker accepts by default (15 minutes).
  'properties.transaction.timeout.ms' = '600000'
);

-- INPUT: the JSON request (or inputs STRING, top_k INT, targets ARRAY<STRING> as columns).
-- OUTPUT: any of answer STRING (the JSON answer), error STRING, candidates ARRAY<ROW<...>>.
CREATE MODEL fill_mask
INPUT (request BYTES)
OUTPUT (answer STRING)
WITH (
  'provider' = 'fill-mask',
  'model' = '${model}',
  'batch-size' = '16',
  'batch-max-delay' = '20 ms'
);

-- max-concurrent-operations: the rows in flight per subtask, so the most a batch can hold: twice the batch size
-- keeps the model busy while the next batch fills.
INSERT INTO answers
SELECT request_key, answer
FROM ML_PREDICT(TABLE requests, MODEL fill_mask, DESCRIPTOR(request), MAP['max-concurrent-operations', '32']);
