// Checks real responses against the OpenAPI 3 document the server publishes:
// the (path, method, status) must be documented, and a JSON body must match
// its schema. Covers the schema keywords the document uses: $ref, type,
// nullable, required, properties, additionalProperties, items, enum,
// minimum/maximum, oneOf.

function resolve(doc, schema) {
  while (schema && schema.$ref) {
    schema = schema.$ref.replace(/^#\//, '').split('/').reduce((node, key) => node[key], doc);
  }
  return schema;
}

function typeOf(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** Returns a list of problems ("at $.x: ..."); empty when `value` matches. */
export function schemaProblems(doc, schema, value, where = '$') {
  schema = resolve(doc, schema);
  if (!schema) return [];
  if (value === null) return schema.nullable ? [] : [`${where}: null is not allowed`];
  if (schema.oneOf) {
    // The alternatives the document uses differ in type, so "matches one" is "matches any".
    const each = schema.oneOf.map((alternative) => schemaProblems(doc, alternative, value, where));
    if (!each.some((p) => p.length === 0)) return [`${where}: matches none of oneOf (${each.map((p) => p[0]).join('; ')})`];
  }
  const problems = [];
  const actual = typeOf(value);
  if (schema.type) {
    const ok = schema.type === actual || (schema.type === 'number' && actual === 'integer');
    if (!ok) return [`${where}: expected ${schema.type}, got ${actual}`];
  }
  if (schema.enum && !schema.enum.includes(value)) problems.push(`${where}: ${JSON.stringify(value)} not in enum`);
  if (schema.minimum !== undefined && value < schema.minimum) problems.push(`${where}: below minimum`);
  if (schema.maximum !== undefined && value > schema.maximum) problems.push(`${where}: above maximum`);
  if (actual === 'object') {
    const props = schema.properties ?? {};
    for (const key of schema.required ?? []) if (!(key in value)) problems.push(`${where}: missing ${key}`);
    for (const [key, v] of Object.entries(value)) {
      if (key in props) problems.push(...schemaProblems(doc, props[key], v, `${where}.${key}`));
      else if (schema.additionalProperties === false) problems.push(`${where}: undocumented property ${key}`);
      else if (typeof schema.additionalProperties === 'object') {
        problems.push(...schemaProblems(doc, schema.additionalProperties, v, `${where}.${key}`));
      }
    }
  }
  if (actual === 'array' && schema.items) {
    value.forEach((item, i) => problems.push(...schemaProblems(doc, schema.items, item, `${where}[${i}]`)));
  }
  return problems;
}

/** Finds the documented operation for a concrete request. */
export function findOperation(doc, method, pathname) {
  for (const [template, item] of Object.entries(doc.paths)) {
    const pattern = new RegExp('^' + template.replace(/\{[^}]+\}/g, '[^/]+') + '$');
    if (pattern.test(pathname) && item[method.toLowerCase()]) return { template, operation: item[method.toLowerCase()] };
  }
  return null;
}

/** Problems of one exchange against the document. */
export function responseProblems(doc, { method, pathname, status, contentType, body }) {
  const found = findOperation(doc, method, pathname);
  if (!found) return [`${method} ${pathname}: not documented`];
  let response = found.operation.responses[String(status)];
  if (!response) return [`${method} ${found.template}: status ${status} not documented`];
  response = resolve(doc, response);
  if (!response.content) return body ? [`${method} ${found.template} ${status}: body not documented`] : [];
  const media = (contentType ?? '').split(';')[0].trim();
  const documented = response.content[media];
  if (!documented) return [`${method} ${found.template} ${status}: content type ${media} not documented`];
  if (media !== 'application/json') return [];
  return schemaProblems(doc, documented.schema, JSON.parse(body)).map((p) => `${method} ${found.template} ${status} ${p}`);
}
