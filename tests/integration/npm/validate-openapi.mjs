// node validate-openapi.mjs DOCUMENT.json OUT.json
// Validates an OpenAPI document with @apidevtools/swagger-parser (schema and $ref checks) and
// writes {"paths": {"/path": ["get", ...]}} to OUT.json. Exits 1 with the reason if invalid.
import SwaggerParser from '@apidevtools/swagger-parser';
import { writeFileSync } from 'node:fs';

const [input, output] = process.argv.slice(2);
if (!input || !output) {
  console.error('usage: node validate-openapi.mjs DOCUMENT.json OUT.json');
  process.exit(2);
}
try {
  const api = await SwaggerParser.validate(input);
  const methods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
  const paths = {};
  for (const [path, item] of Object.entries(api.paths ?? {}))
    paths[path] = Object.keys(item).filter((k) => methods.includes(k));
  writeFileSync(output, JSON.stringify({ openapi: api.openapi, paths }));
} catch (e) {
  console.error(`invalid OpenAPI document: ${e.message}`);
  process.exit(1);
}
