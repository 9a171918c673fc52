// Parser for the GraphQL that prisma-client-py 0.15 sends to a query engine: one operation
// (`query {` or `mutation {`), fields with optional arguments and selection sets, and values
// written as JSON literals (strings, numbers, true/false/null), lists and objects with bare keys.
// Numbers keep their source text so integers beyond 2^53 are not rounded before they are typed.

export class GraphQLSyntaxError extends Error {}

const PUNCTUATORS = new Set(['{', '}', '(', ')', '[', ']', ':']);
const NAME = /[_A-Za-z][_0-9A-Za-z]*/y;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

function tokenize(text) {
  const tokens = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    // Commas are insignificant in GraphQL, like white space.
    if (c === ' ' || c === '\n' || c === '\t' || c === '\r' || c === ',' || c === '\ufeff') {
      i += 1;
    } else if (c === '#') {
      while (i < text.length && text[i] !== '\n') i += 1;
    } else if (PUNCTUATORS.has(c)) {
      tokens.push({ kind: c, pos: i });
      i += 1;
    } else if (c === '"') {
      const end = stringEnd(text, i);
      tokens.push({ kind: 'string', value: JSON.parse(text.slice(i, end)), pos: i });
      i = end;
    } else if (c === '-' || (c >= '0' && c <= '9')) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(text);
      if (!m) throw new GraphQLSyntaxError(`invalid number at offset ${i}`);
      tokens.push({ kind: 'number', raw: m[0], pos: i });
      i += m[0].length;
    } else {
      NAME.lastIndex = i;
      const m = NAME.exec(text);
      if (!m) throw new GraphQLSyntaxError(`unexpected character ${JSON.stringify(c)} at offset ${i}`);
      tokens.push({ kind: 'name', value: m[0], pos: i });
      i += m[0].length;
    }
  }
  return tokens;
}

function stringEnd(text, start) {
  let i = start + 1;
  while (i < text.length) {
    if (text[i] === '\\') i += 2;
    else if (text[i] === '"') return i + 1;
    else i += 1;
  }
  throw new GraphQLSyntaxError(`unterminated string at offset ${start}`);
}

class Parser {
  constructor(text) {
    this.tokens = tokenize(text);
    this.i = 0;
  }

  peek() {
    return this.tokens[this.i];
  }

  next(kind) {
    const t = this.tokens[this.i];
    if (!t) throw new GraphQLSyntaxError(`unexpected end of query, expected ${kind || 'a token'}`);
    if (kind && t.kind !== kind) {
      throw new GraphQLSyntaxError(`expected ${kind} at offset ${t.pos}, got ${t.kind} ${t.value ?? t.raw ?? ''}`.trim());
    }
    this.i += 1;
    return t;
  }

  at(kind) {
    const t = this.peek();
    return t !== undefined && t.kind === kind;
  }

  document() {
    const op = this.next('name').value;
    if (op !== 'query' && op !== 'mutation') throw new GraphQLSyntaxError(`unsupported operation ${op}`);
    const fields = this.selectionSet();
    if (this.i !== this.tokens.length) throw new GraphQLSyntaxError(`unexpected content after the operation at offset ${this.peek().pos}`);
    return { operation: op, fields };
  }

  selectionSet() {
    this.next('{');
    const fields = [];
    while (!this.at('}')) fields.push(this.field());
    this.next('}');
    return fields;
  }

  field() {
    let name = this.next('name').value;
    let alias = null;
    if (this.at(':')) {
      this.next(':');
      alias = name;
      name = this.next('name').value;
    }
    let args = null;
    if (this.at('(')) {
      this.next('(');
      args = [];
      while (!this.at(')')) {
        const key = this.next('name').value;
        this.next(':');
        args.push([key, this.value()]);
      }
      this.next(')');
    }
    const selection = this.at('{') ? this.selectionSet() : null;
    return { alias, name, args: args || [], selection };
  }

  value() {
    const t = this.next();
    switch (t.kind) {
      case 'string':
        return { kind: 'string', value: t.value };
      case 'number':
        return { kind: 'number', raw: t.raw };
      case 'name':
        if (t.value === 'true' || t.value === 'false') return { kind: 'boolean', value: t.value === 'true' };
        if (t.value === 'null') return { kind: 'null' };
        return { kind: 'enum', value: t.value };
      case '[': {
        const items = [];
        while (!this.at(']')) items.push(this.value());
        this.next(']');
        return { kind: 'list', items };
      }
      case '{': {
        const fields = [];
        while (!this.at('}')) {
          const key = this.next('name').value;
          this.next(':');
          fields.push([key, this.value()]);
        }
        this.next('}');
        return { kind: 'object', fields };
      }
      default:
        throw new GraphQLSyntaxError(`unexpected ${t.kind} at offset ${t.pos}`);
    }
  }
}

export function parseDocument(text) {
  return new Parser(text).document();
}
