/**
 * Simulated Amazon DynamoDB: tables with a partition key (and optional sort key) holding items in
 * AttributeValue form, with the conditional writes the environment lock relies on. Condition and
 * update expressions are parsed by a small recursive-descent parser that follows the documented
 * grammar ("Condition and filter expressions, operators, and functions", "Update expressions" in the
 * DynamoDB developer guide), including the errors a malformed expression gets from DynamoDB: reserved
 * words used as bare names, undefined or unused placeholders, syntax errors.
 */
import type {
  AttributeDefinition,
  AttributeValue,
  CreateTableCommandInput,
  CreateTableCommandOutput,
  DeleteItemCommandInput,
  DeleteItemCommandOutput,
  DescribeTableCommandInput,
  DescribeTableCommandOutput,
  GetItemCommandInput,
  GetItemCommandOutput,
  KeySchemaElement,
  PutItemCommandInput,
  PutItemCommandOutput,
  TransactWriteItemsCommandInput,
  ScalarAttributeType,
  TableDescription,
  UpdateItemCommandInput,
  UpdateItemCommandOutput,
} from '@aws-sdk/client-dynamodb';
import type { SimAccount } from './account';
import { type OpHandler, type OpInput, SimServiceError, type SimService } from './core';
import { DYNAMODB_RESERVED_WORDS } from './dynamodb-reserved';

type Out<T> = Omit<T, '$metadata'>;
export type Item = Record<string, AttributeValue>;

/** DynamoDB's item size limit (developer guide, "Service, account, and table quotas"). */
const MAX_ITEM_BYTES = 400 * 1024;

const validation = (message: string) => new SimServiceError('ValidationException', message, 400);
const tableNotFound = () => new SimServiceError('ResourceNotFoundException', 'Requested resource not found', 400);

interface TableState {
  name: string;
  arn: string;
  createdAt: Date;
  keySchema: KeySchemaElement[];
  attributeDefinitions: AttributeDefinition[];
  billingMode: 'PAY_PER_REQUEST' | 'PROVISIONED';
  items: Map<string, Item>;
}

// ---------------------------------------------------------------------------------------------
// AttributeValue helpers
// ---------------------------------------------------------------------------------------------

type AttrType = 'S' | 'N' | 'B' | 'BOOL' | 'NULL' | 'M' | 'L' | 'SS' | 'NS' | 'BS';

function typeOf(v: AttributeValue): AttrType | undefined {
  if (v.S !== undefined) return 'S';
  if (v.N !== undefined) return 'N';
  if (v.B !== undefined) return 'B';
  if (v.BOOL !== undefined) return 'BOOL';
  if (v.NULL !== undefined) return 'NULL';
  if (v.M !== undefined) return 'M';
  if (v.L !== undefined) return 'L';
  if (v.SS !== undefined) return 'SS';
  if (v.NS !== undefined) return 'NS';
  if (v.BS !== undefined) return 'BS';
  return undefined;
}

const bytesEqual = (a: Uint8Array, b: Uint8Array) => Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;

function attrEquals(a: AttributeValue, b: AttributeValue): boolean {
  const t = typeOf(a);
  if (t !== typeOf(b)) return false;
  switch (t) {
    case 'S':
      return a.S === b.S;
    case 'N':
      return Number(a.N) === Number(b.N);
    case 'B':
      return a.B !== undefined && b.B !== undefined && bytesEqual(a.B, b.B);
    case 'BOOL':
      return a.BOOL === b.BOOL;
    case 'NULL':
      return true;
    case 'SS':
      return sameSet(a.SS ?? [], b.SS ?? [], (x, y) => x === y);
    case 'NS':
      return sameSet(a.NS ?? [], b.NS ?? [], (x, y) => Number(x) === Number(y));
    case 'BS':
      return sameSet(a.BS ?? [], b.BS ?? [], bytesEqual);
    case 'L': {
      const la = a.L ?? [];
      const lb = b.L ?? [];
      return la.length === lb.length && la.every((x, i) => lb[i] !== undefined && attrEquals(x, lb[i] as AttributeValue));
    }
    case 'M': {
      const ma = a.M ?? {};
      const mb = b.M ?? {};
      const ka = Object.keys(ma);
      return ka.length === Object.keys(mb).length && ka.every((k) => k in mb && attrEquals(ma[k] as AttributeValue, mb[k] as AttributeValue));
    }
    default:
      return false;
  }
}

function sameSet<T>(a: T[], b: T[], eq: (x: T, y: T) => boolean): boolean {
  return a.length === b.length && a.every((x) => b.some((y) => eq(x, y)));
}

/** Ordering for <, <=, >, >=, BETWEEN: only between two N, two S (UTF-8 bytes) or two B. */
function attrCompare(a: AttributeValue, b: AttributeValue): number | undefined {
  const t = typeOf(a);
  if (t !== typeOf(b)) return undefined;
  if (t === 'N') return Math.sign(Number(a.N) - Number(b.N));
  if (t === 'S') return Buffer.compare(Buffer.from(a.S ?? '', 'utf8'), Buffer.from(b.S ?? '', 'utf8'));
  if (t === 'B' && a.B && b.B) return Buffer.compare(Buffer.from(a.B), Buffer.from(b.B));
  return undefined;
}

/** Rough item size: attribute names plus values, as DynamoDB counts them. */
function itemBytes(item: Item): number {
  const size = (v: AttributeValue): number => {
    if (v.S !== undefined) return Buffer.byteLength(v.S);
    if (v.N !== undefined) return Math.ceil(v.N.length / 2) + 1;
    if (v.B !== undefined) return v.B.length;
    if (v.SS !== undefined) return v.SS.reduce((n, s) => n + Buffer.byteLength(s), 0);
    if (v.NS !== undefined) return v.NS.reduce((n, s) => n + Math.ceil(s.length / 2) + 1, 0);
    if (v.BS !== undefined) return v.BS.reduce((n, b) => n + b.length, 0);
    if (v.L !== undefined) return 3 + v.L.reduce((n, x) => n + 1 + size(x), 0);
    if (v.M !== undefined) return 3 + Object.entries(v.M).reduce((n, [k, x]) => n + 1 + Buffer.byteLength(k) + size(x), 0);
    return 1;
  };
  return Object.entries(item).reduce((n, [k, v]) => n + Buffer.byteLength(k) + size(v), 0);
}

// ---------------------------------------------------------------------------------------------
// Expressions
// ---------------------------------------------------------------------------------------------

type PathElement = string | number;
type Operand =
  | { kind: 'path'; path: PathElement[] }
  | { kind: 'value'; value: AttributeValue }
  | { kind: 'size'; path: PathElement[] };
type Comparator = '=' | '<>' | '<' | '<=' | '>' | '>=';
type Condition =
  | { kind: 'or' | 'and'; left: Condition; right: Condition }
  | { kind: 'not'; arg: Condition }
  | { kind: 'compare'; op: Comparator; left: Operand; right: Operand }
  | { kind: 'between'; arg: Operand; low: Operand; high: Operand }
  | { kind: 'in'; arg: Operand; list: Operand[] }
  | { kind: 'function'; name: 'attribute_exists' | 'attribute_not_exists' | 'attribute_type' | 'begins_with' | 'contains'; args: Operand[] };
type SetValue =
  | { kind: 'operand'; operand: Operand }
  | { kind: 'arith'; op: '+' | '-'; left: SetValue; right: SetValue }
  | { kind: 'if_not_exists'; path: PathElement[]; fallback: SetValue }
  | { kind: 'list_append'; left: SetValue; right: SetValue };
interface UpdatePlan {
  set: { path: PathElement[]; value: SetValue }[];
  remove: PathElement[][];
}

interface Token {
  type: 'name' | 'hashname' | 'value' | 'number' | 'punct';
  text: string;
  at: number;
}

const CONDITION_FUNCTIONS = new Set(['attribute_exists', 'attribute_not_exists', 'attribute_type', 'begins_with', 'contains']);
const COMPARATORS = new Set(['=', '<>', '<', '<=', '>', '>=']);

function tokenize(text: string, label: string): Token[] {
  const tokens: Token[] = [];
  const re = /\s*(?:(#[A-Za-z0-9_]+)|(:[A-Za-z0-9_]+)|([A-Za-z_][A-Za-z0-9_]*)|(\d+)|(<>|<=|>=|[=<>()[\],.+-]))/y;
  let pos = 0;
  while (pos < text.length) {
    if (/^\s*$/.test(text.slice(pos))) break;
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) {
      const rest = text.slice(pos).trim();
      throw validation(`Invalid ${label}: Syntax error; token: "${rest[0] ?? ''}", near: "${rest.slice(0, 10)}"`);
    }
    const at = m.index + (m[0].length - m[0].trimStart().length);
    if (m[1]) tokens.push({ type: 'hashname', text: m[1], at });
    else if (m[2]) tokens.push({ type: 'value', text: m[2], at });
    else if (m[3]) tokens.push({ type: 'name', text: m[3], at });
    else if (m[4]) tokens.push({ type: 'number', text: m[4], at });
    else tokens.push({ type: 'punct', text: m[5] ?? '', at });
    pos = re.lastIndex;
  }
  return tokens;
}

/** Placeholders of one request: what they resolve to and which of them the expressions used. */
class Placeholders {
  readonly usedNames = new Set<string>();
  readonly usedValues = new Set<string>();
  constructor(
    readonly names: Record<string, string> = {},
    readonly values: Record<string, AttributeValue> = {},
  ) {}

  /** "Value provided in ExpressionAttributeNames/Values unused in expressions" — DynamoDB rejects leftovers. */
  checkAllUsed(): void {
    const unusedNames = Object.keys(this.names).filter((n) => !this.usedNames.has(n));
    if (unusedNames.length > 0) throw validation(`Value provided in ExpressionAttributeNames unused in expressions: keys: {${unusedNames.join(', ')}}`);
    const unusedValues = Object.keys(this.values).filter((v) => !this.usedValues.has(v));
    if (unusedValues.length > 0) throw validation(`Value provided in ExpressionAttributeValues unused in expressions: keys: {${unusedValues.join(', ')}}`);
  }
}

class ExpressionParser {
  private readonly tokens: Token[];
  private pos = 0;

  constructor(
    private readonly text: string,
    private readonly label: string,
    private readonly placeholders: Placeholders,
  ) {
    this.tokens = tokenize(text, label);
  }

  parseCondition(): Condition {
    const c = this.parseOr();
    this.expectEnd();
    return c;
  }

  parseUpdate(): UpdatePlan {
    const plan: UpdatePlan = { set: [], remove: [] };
    const seen = new Set<string>();
    if (this.tokens.length === 0) this.syntaxError();
    while (this.peek()) {
      const clause = this.next();
      const keyword = clause.type === 'name' ? clause.text.toUpperCase() : '';
      if (seen.has(keyword)) throw validation(`Invalid ${this.label}: The "${keyword}" section can only be used once in an update expression;`);
      seen.add(keyword);
      if (keyword === 'SET') {
        do {
          const path = this.parsePath();
          this.expect('=');
          plan.set.push({ path, value: this.parseSetValue() });
        } while (this.accept(','));
      } else if (keyword === 'REMOVE') {
        do plan.remove.push(this.parsePath());
        while (this.accept(','));
      } else if (keyword === 'ADD' || keyword === 'DELETE') {
        throw new SimServiceError('NotImplemented', `The simulated DynamoDB does not model ${keyword} in update expressions`, 501);
      } else {
        this.syntaxError(clause);
      }
    }
    return plan;
  }

  /** A projection of top-level attributes (nested paths are not something the workflow asks for). */
  parseProjection(): string[] {
    const names: string[] = [];
    do {
      const path = this.parsePath();
      if (path.length !== 1 || typeof path[0] !== 'string') {
        throw new SimServiceError('NotImplemented', 'The simulated DynamoDB projects top-level attributes only', 501);
      }
      names.push(path[0]);
    } while (this.accept(','));
    this.expectEnd();
    return names;
  }

  private parseOr(): Condition {
    let left = this.parseAnd();
    while (this.acceptKeyword('OR')) left = { kind: 'or', left, right: this.parseAnd() };
    return left;
  }

  private parseAnd(): Condition {
    let left = this.parseNot();
    while (this.acceptKeyword('AND')) left = { kind: 'and', left, right: this.parseNot() };
    return left;
  }

  private parseNot(): Condition {
    if (this.acceptKeyword('NOT')) return { kind: 'not', arg: this.parseNot() };
    return this.parsePrimary();
  }

  private parsePrimary(): Condition {
    if (this.accept('(')) {
      const inner = this.parseOr();
      this.expect(')');
      return inner;
    }
    const t = this.peek();
    const following = this.tokens[this.pos + 1];
    if (t?.type === 'name' && following?.text === '(' && t.text !== 'size') {
      const name = t.text;
      if (!CONDITION_FUNCTIONS.has(name)) throw validation(`Invalid ${this.label}: Invalid function name; function: ${name}`);
      this.pos += 2;
      const args = [this.parseOperand()];
      while (this.accept(',')) args.push(this.parseOperand());
      this.expect(')');
      const arity = name === 'attribute_exists' || name === 'attribute_not_exists' ? 1 : 2;
      if (args.length !== arity) {
        throw validation(`Invalid ${this.label}: Incorrect number of operands for operator or function; operator or function: ${name}, number of operands: ${args.length}`);
      }
      if (args[0]?.kind !== 'path') {
        throw validation(`Invalid ${this.label}: Operator or function requires a document path; operator or function: ${name}`);
      }
      return { kind: 'function', name: name as Extract<Condition, { kind: 'function' }>['name'], args };
    }
    const left = this.parseOperand();
    if (this.acceptKeyword('BETWEEN')) {
      const low = this.parseOperand();
      if (!this.acceptKeyword('AND')) this.syntaxError();
      return { kind: 'between', arg: left, low, high: this.parseOperand() };
    }
    if (this.acceptKeyword('IN')) {
      this.expect('(');
      const list = [this.parseOperand()];
      while (this.accept(',')) list.push(this.parseOperand());
      this.expect(')');
      return { kind: 'in', arg: left, list };
    }
    const op = this.next();
    if (op.type !== 'punct' || !COMPARATORS.has(op.text)) this.syntaxError(op);
    return { kind: 'compare', op: op.text as Comparator, left, right: this.parseOperand() };
  }

  private parseOperand(): Operand {
    const t = this.peek();
    if (t?.type === 'value') {
      this.pos += 1;
      return { kind: 'value', value: this.resolveValue(t.text) };
    }
    if (t?.type === 'name' && t.text === 'size' && this.tokens[this.pos + 1]?.text === '(') {
      this.pos += 2;
      const path = this.parsePath();
      this.expect(')');
      return { kind: 'size', path };
    }
    return { kind: 'path', path: this.parsePath() };
  }

  private parseSetValue(): SetValue {
    const left = this.parseSetOperand();
    const t = this.peek();
    if (t?.type === 'punct' && (t.text === '+' || t.text === '-')) {
      this.pos += 1;
      return { kind: 'arith', op: t.text, left, right: this.parseSetOperand() };
    }
    return left;
  }

  private parseSetOperand(): SetValue {
    const t = this.peek();
    const following = this.tokens[this.pos + 1];
    if (t?.type === 'name' && following?.text === '(') {
      this.pos += 2;
      if (t.text === 'if_not_exists') {
        const path = this.parsePath();
        this.expect(',');
        const fallback = this.parseSetOperand();
        this.expect(')');
        return { kind: 'if_not_exists', path, fallback };
      }
      if (t.text === 'list_append') {
        const left = this.parseSetOperand();
        this.expect(',');
        const right = this.parseSetOperand();
        this.expect(')');
        return { kind: 'list_append', left, right };
      }
      throw validation(`Invalid ${this.label}: Invalid function name; function: ${t.text}`);
    }
    const operand = this.parseOperand();
    if (operand.kind === 'size') {
      throw validation(`Invalid ${this.label}: The function is not allowed in an update expression; function: size`);
    }
    return { kind: 'operand', operand };
  }

  private parsePath(): PathElement[] {
    const path: PathElement[] = [this.pathName()];
    for (;;) {
      if (this.accept('.')) path.push(this.pathName());
      else if (this.accept('[')) {
        const n = this.next();
        if (n.type !== 'number') this.syntaxError(n);
        path.push(Number(n.text));
        this.expect(']');
      } else return path;
    }
  }

  private pathName(): string {
    const t = this.next();
    if (t.type === 'hashname') {
      const resolved = this.placeholders.names[t.text];
      if (resolved === undefined) {
        throw validation(`Invalid ${this.label}: An expression attribute name used in the document path is not defined; attribute name: ${t.text}`);
      }
      this.placeholders.usedNames.add(t.text);
      return resolved;
    }
    if (t.type !== 'name') this.syntaxError(t);
    if (DYNAMODB_RESERVED_WORDS.has(t.text.toUpperCase())) {
      throw validation(`Invalid ${this.label}: Attribute name is a reserved keyword; reserved keyword: ${t.text}`);
    }
    return t.text;
  }

  private resolveValue(name: string): AttributeValue {
    const v = this.placeholders.values[name];
    if (v === undefined) {
      throw validation(`Invalid ${this.label}: An expression attribute value used in expression is not defined; attribute value: ${name}`);
    }
    this.placeholders.usedValues.add(name);
    return v;
  }

  private peek(): Token | undefined {
    return this.tokens[this.pos];
  }

  private next(): Token {
    const t = this.tokens[this.pos];
    if (!t) this.syntaxError();
    this.pos += 1;
    return t;
  }

  private accept(punct: string): boolean {
    const t = this.peek();
    if (t?.type === 'punct' && t.text === punct) {
      this.pos += 1;
      return true;
    }
    return false;
  }

  private acceptKeyword(word: string): boolean {
    const t = this.peek();
    if (t?.type === 'name' && t.text.toUpperCase() === word) {
      this.pos += 1;
      return true;
    }
    return false;
  }

  private expect(punct: string): void {
    if (!this.accept(punct)) this.syntaxError(this.peek());
  }

  private expectEnd(): void {
    const t = this.peek();
    if (t) this.syntaxError(t);
  }

  private syntaxError(t?: Token): never {
    if (!t) throw validation(`Invalid ${this.label}: Syntax error; token: "<EOF>", near: "${this.text.slice(-10)}"`);
    throw validation(`Invalid ${this.label}: Syntax error; token: "${t.text}", near: "${this.text.slice(Math.max(0, t.at - 5), t.at + 10)}"`);
  }
}

function resolvePath(item: Item | undefined, path: PathElement[]): AttributeValue | undefined {
  let current: AttributeValue | undefined = undefined;
  for (const [i, el] of path.entries()) {
    if (i === 0) {
      current = typeof el === 'string' ? item?.[el] : undefined;
      continue;
    }
    if (!current) return undefined;
    if (typeof el === 'number') current = current.L?.[el];
    else current = current.M?.[el];
  }
  return current;
}

function operandValue(item: Item | undefined, o: Operand): AttributeValue | undefined {
  if (o.kind === 'value') return o.value;
  const v = resolvePath(item, o.path);
  if (o.kind === 'path' || v === undefined) return v;
  // size(): string length, binary length, element count of sets, lists and maps.
  const size =
    v.S !== undefined ? v.S.length
    : v.B !== undefined ? v.B.length
    : (v.SS ?? v.NS ?? v.BS ?? v.L)?.length ?? (v.M ? Object.keys(v.M).length : undefined);
  return size === undefined ? undefined : { N: String(size) };
}

function evaluate(c: Condition, item: Item | undefined): boolean {
  switch (c.kind) {
    case 'or':
      return evaluate(c.left, item) || evaluate(c.right, item);
    case 'and':
      return evaluate(c.left, item) && evaluate(c.right, item);
    case 'not':
      return !evaluate(c.arg, item);
    case 'compare': {
      const a = operandValue(item, c.left);
      const b = operandValue(item, c.right);
      // A missing attribute equals nothing, so "<>" holds for it (what makes `#owner <> :me` pass on a free lock).
      if (c.op === '=') return a !== undefined && b !== undefined && attrEquals(a, b);
      if (c.op === '<>') return !(a !== undefined && b !== undefined && attrEquals(a, b));
      const cmp = a && b ? attrCompare(a, b) : undefined;
      if (cmp === undefined) return false;
      return c.op === '<' ? cmp < 0 : c.op === '<=' ? cmp <= 0 : c.op === '>' ? cmp > 0 : cmp >= 0;
    }
    case 'between': {
      const a = operandValue(item, c.arg);
      const lo = operandValue(item, c.low);
      const hi = operandValue(item, c.high);
      if (!a || !lo || !hi) return false;
      const x = attrCompare(a, lo);
      const y = attrCompare(a, hi);
      return x !== undefined && y !== undefined && x >= 0 && y <= 0;
    }
    case 'in': {
      const a = operandValue(item, c.arg);
      return a !== undefined && c.list.some((o) => {
        const v = operandValue(item, o);
        return v !== undefined && attrEquals(a, v);
      });
    }
    case 'function': {
      const [first, second] = c.args;
      const a = first ? operandValue(item, first) : undefined;
      if (c.name === 'attribute_exists') return a !== undefined;
      if (c.name === 'attribute_not_exists') return a === undefined;
      const b = second ? operandValue(item, second) : undefined;
      if (!a || !b) return false;
      if (c.name === 'attribute_type') return b.S !== undefined && typeOf(a) === b.S;
      if (c.name === 'begins_with') {
        if (a.S !== undefined && b.S !== undefined) return a.S.startsWith(b.S);
        if (a.B && b.B) return Buffer.from(a.B).subarray(0, b.B.length).equals(Buffer.from(b.B));
        return false;
      }
      // contains
      if (a.S !== undefined && b.S !== undefined) return a.S.includes(b.S);
      if (a.SS && b.S !== undefined) return a.SS.includes(b.S);
      if (a.NS && b.N !== undefined) return a.NS.some((n) => Number(n) === Number(b.N));
      if (a.BS && b.B) return a.BS.some((x) => b.B !== undefined && bytesEqual(x, b.B));
      if (a.L) return a.L.some((x) => attrEquals(x, b));
      return false;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The service
// ---------------------------------------------------------------------------------------------

export class DynamoDbSim implements SimService {
  readonly serviceName = 'DynamoDB';
  readonly operations: Record<string, OpHandler>;
  private readonly tables = new Map<string, TableState>();

  constructor(private readonly account: SimAccount) {
    this.operations = {
      CreateTable: (i) => this.opCreateTable(i),
      DescribeTable: (i) => this.opDescribeTable(i),
      PutItem: (i) => this.opPutItem(i),
      GetItem: (i) => this.opGetItem(i),
      DeleteItem: (i) => this.opDeleteItem(i),
      UpdateItem: (i) => this.opUpdateItem(i),
      TransactWriteItems: (i) => this.opTransactWriteItems(i),
    };
  }

  // -------------------------------------------------------------------------------------------
  // Internal API
  // -------------------------------------------------------------------------------------------

  /** Creates an on-demand table keyed by a string partition key (and optional string sort key). */
  createTable(name: string, partitionKey: string, sortKey?: string): void {
    const keySchema: KeySchemaElement[] = [{ AttributeName: partitionKey, KeyType: 'HASH' }];
    const definitions: AttributeDefinition[] = [{ AttributeName: partitionKey, AttributeType: 'S' }];
    if (sortKey) {
      keySchema.push({ AttributeName: sortKey, KeyType: 'RANGE' });
      definitions.push({ AttributeName: sortKey, AttributeType: 'S' });
    }
    this.addTable(name, keySchema, definitions, 'PAY_PER_REQUEST');
  }

  /** A copy of every item of a table, in AttributeValue form. */
  items(table: string): Item[] {
    return [...this.table(table).items.values()].map((item) => structuredClone(item));
  }

  /** Writes an item without any API call (seeding a stale lock, for instance). */
  putItemDirect(table: string, item: Item): void {
    const t = this.table(table);
    t.items.set(this.keyOf(t, item, 'item'), structuredClone(item));
  }

  // -------------------------------------------------------------------------------------------
  // Operations
  // -------------------------------------------------------------------------------------------

  private opCreateTable(i: OpInput): Out<CreateTableCommandOutput> {
    const input = i as unknown as CreateTableCommandInput;
    const name = this.tableName(input.TableName);
    const keySchema = input.KeySchema ?? [];
    const hash = keySchema.filter((k) => k.KeyType === 'HASH');
    const range = keySchema.filter((k) => k.KeyType === 'RANGE');
    if (hash.length !== 1 || range.length > 1 || keySchema.length !== hash.length + range.length) {
      throw validation('1 validation error detected: Value at \'keySchema\' failed to satisfy constraint: Member must have one HASH key and at most one RANGE key');
    }
    const definitions = input.AttributeDefinitions ?? [];
    for (const k of keySchema) {
      if (!definitions.some((d) => d.AttributeName === k.AttributeName)) {
        throw validation('One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [' + k.AttributeName + '], AttributeDefinitions: [' + definitions.map((d) => d.AttributeName).join(', ') + ']');
      }
    }
    const table = this.addTable(name, keySchema, definitions, input.BillingMode === 'PROVISIONED' ? 'PROVISIONED' : 'PAY_PER_REQUEST');
    // CreateTable answers CREATING; here the table is usable at once, so DescribeTable reports ACTIVE.
    return { TableDescription: { ...this.describe(table), TableStatus: 'CREATING' } };
  }

  private opDescribeTable(i: OpInput): Out<DescribeTableCommandOutput> {
    const input = i as unknown as DescribeTableCommandInput;
    const name = this.tableName(input.TableName);
    const table = this.tables.get(name);
    if (!table) throw new SimServiceError('ResourceNotFoundException', `Requested resource not found: Table: ${name} not found`, 400);
    return { Table: this.describe(table) };
  }

  private opPutItem(i: OpInput): Out<PutItemCommandOutput> {
    const input = i as unknown as PutItemCommandInput;
    const table = this.table(input.TableName);
    const item = input.Item ?? {};
    const key = this.keyOf(table, item, 'item');
    if (itemBytes(item) > MAX_ITEM_BYTES) throw validation('Item size has exceeded the maximum allowed size');
    const existing = table.items.get(key);
    this.checkCondition(input, existing);
    table.items.set(key, structuredClone(item));
    return input.ReturnValues === 'ALL_OLD' && existing ? { Attributes: structuredClone(existing) } : {};
  }

  private opGetItem(i: OpInput): Out<GetItemCommandOutput> {
    const input = i as unknown as GetItemCommandInput;
    const table = this.table(input.TableName);
    const key = this.keyOf(table, input.Key ?? {}, 'key');
    const item = table.items.get(key);
    if (!item) return {};
    if (!input.ProjectionExpression) return { Item: structuredClone(item) };
    const placeholders = new Placeholders(input.ExpressionAttributeNames);
    const names = new ExpressionParser(input.ProjectionExpression, 'ProjectionExpression', placeholders).parseProjection();
    const projected: Item = {};
    for (const name of names) {
      const v = item[name];
      if (v !== undefined) projected[name] = structuredClone(v);
    }
    placeholders.checkAllUsed();
    return { Item: projected };
  }

  private opDeleteItem(i: OpInput): Out<DeleteItemCommandOutput> {
    const input = i as unknown as DeleteItemCommandInput;
    const table = this.table(input.TableName);
    const key = this.keyOf(table, input.Key ?? {}, 'key');
    const existing = table.items.get(key);
    this.checkCondition(input, existing);
    table.items.delete(key);
    return input.ReturnValues === 'ALL_OLD' && existing ? { Attributes: existing } : {};
  }

  /**
   * TransactWriteItems with Put, Delete and ConditionCheck actions (Update is not modelled: nothing
   * here uses it in a transaction). The rules, from the API reference (DynamoDB, TransactWriteItems):
   * "The actions are completed atomically so that either all of them succeed, or all of them fail";
   * "no two actions can target the same item" (ValidationException); a condition that fails cancels
   * the whole transaction with TransactionCanceledException, whose CancellationReasons hold one entry
   * per action in order, `ConditionalCheckFailed` for a failed condition and `None` for the others,
   * and whose message lists the codes ("Transaction cancelled, please refer cancellation reasons for
   * specific reasons [ConditionalCheckFailed, None]"). Every condition is evaluated against the items
   * as they were before the transaction, and nothing is written unless all hold.
   */
  private opTransactWriteItems(i: OpInput): Out<Record<string, never>> {
    const input = i as unknown as TransactWriteItemsCommandInput;
    const actions = input.TransactItems ?? [];
    if (actions.length === 0 || actions.length > 100) throw validation('1 validation error detected: Value at \'transactItems\' failed to satisfy constraint: Member must have length between 1 and 100');
    type Condition = { ConditionExpression?: string; ExpressionAttributeNames?: Record<string, string>; ExpressionAttributeValues?: Record<string, AttributeValue> };
    const planned: { table: TableState; key: string; kind: 'put' | 'delete' | 'check'; item?: Item; condition: Condition }[] = [];
    const seen = new Set<string>();
    for (const action of actions) {
      const kinds = [action.Put, action.Delete, action.ConditionCheck, action.Update].filter((a) => a !== undefined);
      if (kinds.length !== 1) throw validation('TransactItems can only contain one of Check, Put, Update or Delete');
      if (action.Update) throw validation('the simulated DynamoDB does not model Update in a transaction');
      const kind = action.Put ? 'put' : action.Delete ? 'delete' : 'check';
      const part = (action.Put ?? action.Delete ?? action.ConditionCheck)!;
      const table = this.table(part.TableName);
      const key = action.Put ? this.keyOf(table, action.Put.Item ?? {}, 'item') : this.keyOf(table, (action.Delete ?? action.ConditionCheck)!.Key ?? {}, 'key');
      const id = `${table.name}\u0000${key}`;
      if (seen.has(id)) throw validation('Transaction request cannot include multiple operations on one item');
      seen.add(id);
      if (action.Put && itemBytes(action.Put.Item ?? {}) > MAX_ITEM_BYTES) throw validation('Item size has exceeded the maximum allowed size');
      planned.push({ table, key, kind, ...(action.Put ? { item: action.Put.Item ?? {} } : {}), condition: part });
    }
    const reasons = planned.map((p) => {
      try {
        this.checkCondition(p.condition, p.table.items.get(p.key));
        return { Code: 'None' };
      } catch (err) {
        if ((err as { name?: string }).name === 'ConditionalCheckFailedException') return { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed' };
        throw err;
      }
    });
    if (reasons.some((r) => r.Code !== 'None')) {
      const error = new SimServiceError('TransactionCanceledException', `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`, 400);
      Object.assign(error, { CancellationReasons: reasons });
      throw error;
    }
    for (const p of planned) {
      if (p.kind === 'delete') p.table.items.delete(p.key);
      else if (p.kind === 'put') p.table.items.set(p.key, structuredClone(p.item!));
    }
    return {};
  }

  /** UpdateItem: SET (values, + and -, if_not_exists, list_append) and REMOVE; creates the item when absent. */
  private opUpdateItem(i: OpInput): Out<UpdateItemCommandOutput> {
    const input = i as unknown as UpdateItemCommandInput;
    const table = this.table(input.TableName);
    const keyAttrs = input.Key ?? {};
    const key = this.keyOf(table, keyAttrs, 'key');
    const placeholders = new Placeholders(input.ExpressionAttributeNames, input.ExpressionAttributeValues);
    const plan = input.UpdateExpression ? new ExpressionParser(input.UpdateExpression, 'UpdateExpression', placeholders).parseUpdate() : undefined;
    const condition = input.ConditionExpression
      ? new ExpressionParser(input.ConditionExpression, 'ConditionExpression', placeholders).parseCondition()
      : undefined;
    placeholders.checkAllUsed();

    const existing = table.items.get(key);
    if (condition && !evaluate(condition, existing)) this.conditionFailed(input.ReturnValuesOnConditionCheckFailure, existing);

    const keyNames = new Set(table.keySchema.map((k) => k.AttributeName));
    const updated: Item = structuredClone(existing ?? keyAttrs);
    const touched = new Set<string>();
    if (plan) {
      // Every value is computed from the item as it was before the update (all actions see the old item).
      const assignments = plan.set.map((s) => ({ path: s.path, value: this.setValue(s.value, existing) }));
      for (const path of [...plan.set.map((s) => s.path), ...plan.remove]) {
        const head = path[0];
        if (typeof head === 'string' && keyNames.has(head)) {
          throw validation(`One or more parameter values were invalid: Cannot update attribute ${head}. This attribute is part of the key`);
        }
        if (typeof head === 'string') touched.add(head);
      }
      for (const a of assignments) this.assign(updated, a.path, a.value);
      for (const path of plan.remove) this.removePath(updated, path);
    }
    if (itemBytes(updated) > MAX_ITEM_BYTES) throw validation('Item size to update has exceeded the maximum allowed size');
    table.items.set(key, updated);

    const pick = (item: Item | undefined): Item | undefined => {
      if (!item) return undefined;
      const out: Item = {};
      for (const name of touched) if (item[name] !== undefined) out[name] = structuredClone(item[name] as AttributeValue);
      return out;
    };
    switch (input.ReturnValues) {
      case 'ALL_NEW':
        return { Attributes: structuredClone(updated) };
      case 'ALL_OLD':
        return existing ? { Attributes: structuredClone(existing) } : {};
      case 'UPDATED_NEW':
        return { Attributes: pick(updated) };
      case 'UPDATED_OLD':
        return existing ? { Attributes: pick(existing) } : {};
      default:
        return {};
    }
  }

  // -------------------------------------------------------------------------------------------
  // Helpers
  // -------------------------------------------------------------------------------------------

  private addTable(name: string, keySchema: KeySchemaElement[], definitions: AttributeDefinition[], billingMode: TableState['billingMode']): TableState {
    if (this.tables.has(name)) throw new SimServiceError('ResourceInUseException', `Table already exists: ${name}`, 400);
    const table: TableState = {
      name,
      arn: this.account.arn('dynamodb', `table/${name}`),
      createdAt: new Date(this.account.now()),
      keySchema,
      attributeDefinitions: definitions,
      billingMode,
      items: new Map(),
    };
    this.tables.set(name, table);
    return table;
  }

  private describe(table: TableState): TableDescription {
    return {
      TableName: table.name,
      TableArn: table.arn,
      TableId: table.arn.split('/').pop(),
      TableStatus: 'ACTIVE',
      CreationDateTime: table.createdAt,
      KeySchema: table.keySchema,
      AttributeDefinitions: table.attributeDefinitions,
      ItemCount: table.items.size,
      TableSizeBytes: [...table.items.values()].reduce((n, item) => n + itemBytes(item), 0),
      BillingModeSummary: { BillingMode: table.billingMode },
    };
  }

  private tableName(name: string | undefined): string {
    if (!name || !/^[A-Za-z0-9_.-]{3,255}$/.test(name)) {
      throw validation(`1 validation error detected: Value '${name ?? ''}' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+`);
    }
    return name;
  }

  private table(name: string | undefined): TableState {
    const table = this.tables.get(this.tableName(name));
    if (!table) throw tableNotFound();
    return table;
  }

  /** The storage key of an item or a Key parameter, validated against the table's key schema. */
  private keyOf(table: TableState, attrs: Item, what: 'item' | 'key'): string {
    if (what === 'key' && Object.keys(attrs).length !== table.keySchema.length) {
      throw validation('The provided key element does not match the schema');
    }
    const parts: string[] = [];
    for (const k of table.keySchema) {
      const name = k.AttributeName ?? '';
      const v = attrs[name];
      const expected: ScalarAttributeType | undefined = table.attributeDefinitions.find((d) => d.AttributeName === name)?.AttributeType;
      if (!v) {
        throw validation(what === 'item' ? `One or more parameter values were invalid: Missing the key ${name} in the item` : 'The provided key element does not match the schema');
      }
      const actual = typeOf(v);
      if (actual !== expected) {
        throw validation(
          what === 'item'
            ? `One or more parameter values were invalid: Type mismatch for key ${name} expected: ${expected} actual: ${actual}`
            : 'The provided key element does not match the schema',
        );
      }
      if (v.S === '' || (v.B !== undefined && v.B.length === 0)) {
        throw validation(`One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: ${name}`);
      }
      parts.push(JSON.stringify([actual, v.S ?? v.N ?? (v.B ? Buffer.from(v.B).toString('base64') : '')]));
    }
    return parts.join('|');
  }

  private checkCondition(
    input: {
      ConditionExpression?: string;
      ExpressionAttributeNames?: Record<string, string>;
      ExpressionAttributeValues?: Record<string, AttributeValue>;
      ReturnValuesOnConditionCheckFailure?: string;
    },
    existing: Item | undefined,
  ): void {
    const placeholders = new Placeholders(input.ExpressionAttributeNames, input.ExpressionAttributeValues);
    const condition = input.ConditionExpression
      ? new ExpressionParser(input.ConditionExpression, 'ConditionExpression', placeholders).parseCondition()
      : undefined;
    placeholders.checkAllUsed();
    if (condition && !evaluate(condition, existing)) this.conditionFailed(input.ReturnValuesOnConditionCheckFailure, existing);
  }

  /** ConditionalCheckFailedException; with ReturnValuesOnConditionCheckFailure=ALL_OLD it carries the item. */
  private conditionFailed(returnValues: string | undefined, existing: Item | undefined): never {
    const error = new SimServiceError('ConditionalCheckFailedException', 'The conditional request failed', 400);
    if (returnValues === 'ALL_OLD' && existing) Object.assign(error, { Item: structuredClone(existing) });
    throw error;
  }

  private setValue(v: SetValue, item: Item | undefined): AttributeValue {
    switch (v.kind) {
      case 'operand': {
        const value = operandValue(item, v.operand);
        if (!value) throw validation('The provided expression refers to an attribute that does not exist in the item');
        return value;
      }
      case 'if_not_exists':
        return resolvePath(item, v.path) ?? this.setValue(v.fallback, item);
      case 'arith': {
        const a = this.setValue(v.left, item);
        const b = this.setValue(v.right, item);
        if (a.N === undefined || b.N === undefined) {
          throw validation('An operand in the update expression has an incorrect data type');
        }
        return { N: String(v.op === '+' ? Number(a.N) + Number(b.N) : Number(a.N) - Number(b.N)) };
      }
      case 'list_append': {
        const a = this.setValue(v.left, item);
        const b = this.setValue(v.right, item);
        if (!a.L || !b.L) throw validation('An operand in the update expression has an incorrect data type');
        return { L: [...a.L, ...b.L] };
      }
    }
  }

  private assign(item: Item, path: PathElement[], value: AttributeValue): void {
    const [head, ...rest] = path;
    if (typeof head !== 'string') throw validation('The document path provided in the update expression is invalid for update');
    if (rest.length === 0) {
      item[head] = structuredClone(value);
      return;
    }
    const parent = resolvePath(item, path.slice(0, -1));
    const last = path[path.length - 1];
    if (typeof last === 'string' && parent?.M) parent.M[last] = structuredClone(value);
    else if (typeof last === 'number' && parent?.L) {
      if (last >= parent.L.length) parent.L.push(structuredClone(value));
      else parent.L[last] = structuredClone(value);
    } else throw validation('The document path provided in the update expression is invalid for update');
  }

  private removePath(item: Item, path: PathElement[]): void {
    const [head, ...rest] = path;
    if (typeof head !== 'string') return;
    if (rest.length === 0) {
      delete item[head];
      return;
    }
    const parent = resolvePath(item, path.slice(0, -1));
    const last = path[path.length - 1];
    if (typeof last === 'string' && parent?.M) delete parent.M[last];
    else if (typeof last === 'number' && parent?.L && last < parent.L.length) parent.L.splice(last, 1);
  }
}
