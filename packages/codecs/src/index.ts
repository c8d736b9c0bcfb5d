export { avro, type AvroSchema, type AvroOptions } from './avro.js';
export { protobuf, type ProtobufType, type ProtobufOptions } from './protobuf.js';
export { jsonSchema, type JsonSchemaOptions } from './json-schema.js';
export { codecsErrorCodes, type CodecsErrorCode } from './errors.js';
