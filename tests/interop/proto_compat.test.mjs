// Our .proto files must agree, field by field, with the real @livekit/protocol.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileDescriptorSet, proto3 } from '@bufbuild/protobuf';
import * as lk from '@livekit/protocol';

const protoDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../proto');
const files = readdirSync(protoDir).filter((f) => f.endsWith('.proto'));
const descriptorFile = path.join(mkdtempSync(path.join(tmpdir(), 'convox-proto-')), 'set.pb');
execFileSync('protoc', [`--proto_path=${protoDir}`, `--descriptor_set_out=${descriptorFile}`, ...files]);
const set = FileDescriptorSet.fromBinary(readFileSync(descriptorFile));

const TYPE_MESSAGE = 11;
const TYPE_ENUM = 14;
const LABEL_REPEATED = 3;

function exportName(fullName) {
  return fullName.replace(/^\.?livekit\./, '').replaceAll('.', '_');
}

function* messages(prefix, list) {
  for (const m of list) {
    yield [`${prefix}.${m.name}`, m];
    yield* messages(`${prefix}.${m.name}`, m.nestedType);
  }
}

function* enums(prefix, msgs, topEnums) {
  for (const e of topEnums) yield [`${prefix}.${e.name}`, e];
  for (const m of msgs) yield* enums(`${prefix}.${m.name}`, m.nestedType, m.enumType);
}

const ourMessages = [];
const ourEnums = [];
for (const file of set.file) {
  for (const [name, m] of messages(file.package, file.messageType)) if (!m.options?.mapEntry) ourMessages.push([name, m]);
  for (const [name, e] of enums(file.package, file.messageType, file.enumType)) ourEnums.push([name, e]);
}

test('every message field matches @livekit/protocol in number, type and label', () => {
  let checked = 0;
  for (const [name, ours] of ourMessages) {
    const theirs = lk[exportName(name)];
    assert.ok(theirs?.fields, `${name} exists in @livekit/protocol`);
    for (const f of ours.field) {
      const t = theirs.fields.list().find((x) => x.name === f.name);
      assert.ok(t, `${name}.${f.name} exists upstream`);
      assert.equal(f.number, t.no, `${name}.${f.name} field number`);
      const isMapEntry = f.type === TYPE_MESSAGE && ours.nestedType.some((n) => n.options?.mapEntry && `.${name}.${n.name}` === f.typeName);
      if (isMapEntry) {
        assert.equal(t.kind, 'map', `${name}.${f.name} is a map`);
      } else if (f.type === TYPE_MESSAGE) {
        assert.equal(t.kind, 'message', `${name}.${f.name} is a message`);
        assert.equal(f.typeName.slice(1), t.T.typeName, `${name}.${f.name} message type`);
      } else if (f.type === TYPE_ENUM) {
        assert.equal(t.kind, 'enum', `${name}.${f.name} is an enum`);
        assert.equal(f.typeName.slice(1), t.T.typeName, `${name}.${f.name} enum type`);
      } else {
        assert.equal(t.kind, 'scalar', `${name}.${f.name} is a scalar`);
        assert.equal(f.type, t.T, `${name}.${f.name} scalar type`);
      }
      if (!isMapEntry) assert.equal(f.label === LABEL_REPEATED, Boolean(t.repeated), `${name}.${f.name} repeated`);
      checked += 1;
    }
  }
  assert.ok(checked > 300, `checked ${checked} fields`);
});

test('every enum value matches @livekit/protocol', () => {
  for (const [name, ours] of ourEnums) {
    const theirs = proto3.getEnumType(lk[exportName(name)]);
    for (const v of ours.value) {
      const t = theirs.values.find((x) => x.name === v.name);
      assert.ok(t, `${name}.${v.name} exists upstream`);
      assert.equal(v.number, t.no, `${name}.${v.name}`);
    }
  }
});
