import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadSync } from '@grpc/proto-loader';
import protobuf from 'google-protobuf/google/protobuf/struct_pb.js';
import { ROUTED_PROCESSING_MODE } from '../../src/config/envoy-contract.js';
import { fromProtoStruct, toProtoStruct } from '../../src/extproc/proto-struct.js';
import { loadExternalProcessorService } from '../../src/extproc/proto.js';
import { CONTINUE_RESPONSE_BODY, jsonImmediateResponse, responseBody } from '../../src/extproc/responses.js';
import { PACKAGE_ROOT } from '../support/gateway-harness.js';

/**
 * The sidecar's hand-kept protos/ must encode exactly as Envoy's API does. These tests pin
 * field numbers on the wire, and check our Struct conversion against google-protobuf, the
 * reference implementation of the well-known types.
 */
const definition = loadSync('envoy/service/ext_proc/v3/external_processor.proto', {
  includeDirs: [`${PACKAGE_ROOT}/protos`],
  keepCase: true,
  enums: String,
  longs: Number,
  defaults: false,
  oneofs: true,
});
const responseType = definition['envoy.service.ext_proc.v3.ProcessingResponse'] as unknown as {
  serialize: (value: unknown) => Buffer;
  deserialize: (bytes: Buffer) => Record<string, unknown>;
};
const requestType = definition['envoy.service.ext_proc.v3.ProcessingRequest'] as unknown as typeof responseType;

describe('protos/ wire compatibility', () => {
  test('dynamic_metadata (field 8) is a google.protobuf.Struct that google-protobuf reads back, and vice versa', () => {
    const metadata = { llm_gateway: { content_length: '42', tokens: 7, cached: true, list: ['a', 1], nothing: null } };
    const ours = responseType.serialize({ dynamic_metadata: toProtoStruct(metadata) });
    // Field 8, wire type 2 (length-delimited): tag byte 0x42, then a one-byte length, then the Struct.
    assert.equal(ours[0], 0x42);
    const length = ours[1]!;
    assert.ok(length < 128);
    assert.deepEqual(protobuf.Struct.deserializeBinary(ours.subarray(2, 2 + length)).toJavaScript(), metadata);
    // Map entries may come in any order on the wire, so the other direction is checked by decoding too.
    const reference = Buffer.from(protobuf.Struct.fromJavaScript(metadata as never).serializeBinary());
    const decoded = responseType.deserialize(Buffer.concat([Buffer.from([0x42, reference.length]), reference])) as any;
    assert.deepEqual(fromProtoStruct(decoded.dynamic_metadata), metadata);
  });

  test('an ImmediateResponse encodes status (1), headers (2), body (3) and details (5) under field 7', () => {
    const bytes = responseType.serialize(jsonImmediateResponse(404, { error: 'x' }));
    assert.equal(bytes[0], 0x3a, 'field 7, length-delimited');
    const decoded = responseType.deserialize(bytes) as any;
    assert.equal(decoded.immediate_response.status.code, 'NotFound');
    assert.equal(decoded.immediate_response.headers.set_headers[0].header.key, 'content-type');
    assert.equal(decoded.immediate_response.headers.set_headers[0].append_action, 'OVERWRITE_IF_EXISTS_OR_ADD');
    assert.equal(Buffer.from(decoded.immediate_response.body).toString(), '{"error":"x"}');
  });

  test('a request_body message from Envoy (field 4: body=1, end_of_stream=2) decodes', () => {
    // Hand-encoded as Envoy sends it: tag 0x22 (field 4, length-delimited) { 0x0a len "hi", 0x10 0x01 }.
    const bytes = Buffer.from([0x22, 0x06, 0x0a, 0x02, 0x68, 0x69, 0x10, 0x01]);
    const decoded = requestType.deserialize(bytes) as any;
    assert.equal(decoded.request, 'request_body');
    assert.equal(Buffer.from(decoded.request_body.body).toString(), 'hi');
    assert.equal(decoded.request_body.end_of_stream, true);
  });

  test('mode_override (9) carries response_body_mode (4) as STREAMED = 1', () => {
    const bytes = responseType.serialize({ response_headers: {}, mode_override: { response_body_mode: 'STREAMED' } });
    assert.deepEqual([...bytes], [0x12, 0x00, 0x4a, 0x02, 0x20, 0x01]);
  });

  test('the routed mode_override on request headers: request_body_mode (3) BUFFERED = 2, response_header_mode (2) SEND = 1, response_body_mode (4) BUFFERED = 2', () => {
    const bytes = responseType.serialize({ request_headers: {}, mode_override: ROUTED_PROCESSING_MODE });
    // Field 1 (request_headers), then field 9 with its fields in number order.
    assert.deepEqual([...bytes], [0x0a, 0x00, 0x4a, 0x06, 0x10, 0x01, 0x18, 0x02, 0x20, 0x02]);
  });

  test('the service encodes the constant "continue" chunk reply as protobufjs does, and every other reply as before', () => {
    const method = Object.values(loadExternalProcessorService())[0]!;
    const serialize = method.responseSerialize as (value: unknown) => Buffer;
    // response_body is field 4 of ProcessingResponse, length-delimited (0x22), an empty BodyResponse (length 0).
    assert.deepEqual(serialize(CONTINUE_RESPONSE_BODY), responseType.serialize(CONTINUE_RESPONSE_BODY));
    assert.deepEqual([...serialize(CONTINUE_RESPONSE_BODY)], [0x22, 0x00]);
    // An equal but distinct object takes the ordinary encoder, and so does a body mutation.
    assert.deepEqual(serialize({ response_body: {} }), responseType.serialize({ response_body: {} }));
    const mutation = responseBody(Buffer.from('data: {}\n\n'));
    assert.deepEqual(serialize(mutation), responseType.serialize(mutation));
    assert.deepEqual((method.responseDeserialize(serialize(mutation)) as any).response_body.response.body_mutation.body.toString(), 'data: {}\n\n');
  });
});
