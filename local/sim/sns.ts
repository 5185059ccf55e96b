/**
 * Simulated Amazon SNS: topics that record every message published to them, so a test or a
 * rehearsal can read exactly what the operator would have been told. Publish validates its input the
 * way SNS does (SNS API reference, Publish), so a notification that SNS would refuse — a subject with
 * a line break, a message over 256 KB — fails here too instead of vanishing in production.
 */
import type {
  CreateTopicCommandInput,
  CreateTopicCommandOutput,
  ListTopicsCommandInput,
  ListTopicsCommandOutput,
  MessageAttributeValue,
  PublishCommandInput,
  PublishCommandOutput,
  SubscribeCommandInput,
  SubscribeCommandOutput,
} from '@aws-sdk/client-sns';
import type { SimAccount } from './account';
import { type OpHandler, type OpInput, SimServiceError, type SimService } from './core';
import { IdSource } from './ids';

type Out<T> = Omit<T, '$metadata'>;

/** "Messages must be UTF-8 encoded strings and at most 256 KB in size (262,144 bytes, not 262,144 characters)". */
const MAX_MESSAGE_BYTES = 262_144;
const MAX_SUBJECT_CHARS = 100;
const MAX_MESSAGE_ATTRIBUTES = 10;
const TOPICS_PAGE = 100;

export interface RecordedMessage {
  messageId: string;
  topicArn: string;
  subject?: string;
  message: string;
  attributes: Record<string, { DataType: string; StringValue?: string }>;
  /** Simulated time of publication (ms). */
  at: number;
}

export interface RecordedSubscription {
  subscriptionArn: string;
  topicArn: string;
  protocol: string;
  endpoint?: string;
}

const invalidParameter = (message: string) => new SimServiceError('InvalidParameterException', `Invalid parameter: ${message}`, 400);
const invalidParameterValue = (message: string) => new SimServiceError('InvalidParameterValueException', message, 400);

export class SnsSim implements SimService {
  readonly serviceName = 'SNS';
  readonly operations: Record<string, OpHandler>;

  private readonly topics = new Map<string, { name: string; attributes: Record<string, string> }>();
  private readonly published: RecordedMessage[] = [];
  private readonly subscriptionList: RecordedSubscription[] = [];
  private readonly ids = new IdSource('sns');

  constructor(private readonly account: SimAccount) {
    this.operations = {
      CreateTopic: (i) => this.opCreateTopic(i),
      Publish: (i) => this.opPublish(i),
      ListTopics: (i) => this.opListTopics(i),
      Subscribe: (i) => this.opSubscribe(i),
    };
  }

  // -------------------------------------------------------------------------------------------
  // Internal API
  // -------------------------------------------------------------------------------------------

  /** Creates (or returns, as CreateTopic does for an existing name) a topic; returns its ARN. */
  createTopic(name: string, attributes: Record<string, string> = {}): string {
    // Topic names: "Up to 256 characters. Alphanumeric characters, hyphens (-) and underscores (_)",
    // FIFO topics end in ".fifo" (CreateTopic reference).
    if (!/^[A-Za-z0-9_-]{1,256}$/.test(name.replace(/\.fifo$/, '')) || name.length > 256) {
      throw invalidParameter('Topic Name');
    }
    const arn = this.account.arn('sns', name);
    if (!this.topics.has(arn)) this.topics.set(arn, { name, attributes: { ...attributes } });
    return arn;
  }

  /** Messages published so far, oldest first, optionally to one topic. */
  messages(topicArn?: string): RecordedMessage[] {
    return this.published.filter((m) => topicArn === undefined || m.topicArn === topicArn);
  }

  subscriptions(topicArn?: string): RecordedSubscription[] {
    return this.subscriptionList.filter((s) => topicArn === undefined || s.topicArn === topicArn);
  }

  // -------------------------------------------------------------------------------------------
  // Operations
  // -------------------------------------------------------------------------------------------

  private opCreateTopic(i: OpInput): Out<CreateTopicCommandOutput> {
    const input = i as unknown as CreateTopicCommandInput;
    if (!input.Name) throw invalidParameter('Topic Name');
    return { TopicArn: this.createTopic(input.Name, input.Attributes ?? {}) };
  }

  private opListTopics(i: OpInput): Out<ListTopicsCommandOutput> {
    const input = i as unknown as ListTopicsCommandInput;
    const arns = [...this.topics.keys()].sort();
    const start = input.NextToken ? Number(Buffer.from(input.NextToken, 'base64').toString('utf8')) : 0;
    if (!Number.isInteger(start) || start < 0 || start > arns.length) throw invalidParameter('NextToken');
    const page = arns.slice(start, start + TOPICS_PAGE);
    const next = start + TOPICS_PAGE < arns.length ? Buffer.from(String(start + TOPICS_PAGE)).toString('base64') : undefined;
    return { Topics: page.map((TopicArn) => ({ TopicArn })), NextToken: next };
  }

  private opSubscribe(i: OpInput): Out<SubscribeCommandOutput> {
    const input = i as unknown as SubscribeCommandInput;
    const topicArn = this.existingTopic(input.TopicArn);
    if (!input.Protocol) throw invalidParameter('Protocol');
    const subscriptionArn = `${topicArn}:${this.ids.uuid()}`;
    this.subscriptionList.push({ subscriptionArn, topicArn, protocol: input.Protocol, endpoint: input.Endpoint });
    // Email and HTTP subscriptions wait for confirmation; SNS answers "pending confirmation" for them
    // unless ReturnSubscriptionArn is set (Subscribe reference).
    const needsConfirmation = ['email', 'email-json', 'http', 'https'].includes(input.Protocol);
    return { SubscriptionArn: needsConfirmation && !input.ReturnSubscriptionArn ? 'pending confirmation' : subscriptionArn };
  }

  private opPublish(i: OpInput): Out<PublishCommandOutput> {
    const input = i as unknown as PublishCommandInput;
    if (!input.TopicArn && !input.TargetArn && !input.PhoneNumber) {
      throw invalidParameter('TopicArn or TargetArn Reason: no value for required parameter');
    }
    if (!input.TopicArn) throw new SimServiceError('NotImplemented', 'The simulated SNS only publishes to topics', 501);
    const topicArn = this.existingTopic(input.TopicArn);
    const message = input.Message ?? '';
    if (message.length === 0) throw invalidParameter('Empty message');
    if (input.MessageStructure === 'json') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(message);
      } catch {
        throw invalidParameter('Message Structure - JSON message body failed to parse');
      }
      if (typeof parsed !== 'object' || parsed === null || typeof (parsed as Record<string, unknown>).default !== 'string') {
        throw invalidParameter('Message Structure - No default entry in JSON message body');
      }
    }
    if (input.Subject !== undefined) this.checkSubject(input.Subject);
    const attributes = this.checkAttributes(input.MessageAttributes ?? {});
    // The 256 KB limit covers the message and its attributes together.
    const attributeBytes = Object.entries(attributes).reduce(
      (n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v.DataType) + Buffer.byteLength(v.StringValue ?? ''),
      0,
    );
    if (Buffer.byteLength(message, 'utf8') + attributeBytes > MAX_MESSAGE_BYTES) throw invalidParameter('Message too long');
    if (topicArn.endsWith('.fifo') && !input.MessageGroupId) {
      throw invalidParameter('The MessageGroupId parameter is required for FIFO topics');
    }

    const messageId = this.ids.uuid();
    this.published.push({ messageId, topicArn, subject: input.Subject, message, attributes, at: this.account.now() });
    return { MessageId: messageId };
  }

  private existingTopic(arn: string | undefined): string {
    if (!arn) throw invalidParameter('TopicArn');
    if (!this.topics.has(arn)) throw new SimServiceError('NotFoundException', 'Topic does not exist', 404);
    return arn;
  }

  /**
   * Publish reference, Subject: "Subjects must be UTF-8 text with no line breaks or control characters,
   * and less than 100 characters long"; SNS itself refuses anything outside printable ASCII that does
   * not begin with a letter, number or punctuation mark.
   */
  private checkSubject(subject: string): void {
    const printableAscii = /^[\x21-\x7e][\x20-\x7e]*$/.test(subject);
    if (!printableAscii || subject.length > MAX_SUBJECT_CHARS) {
      throw invalidParameter(
        'Subject must be ASCII text that begins with a letter, number, or punctuation mark; must not include line breaks or control characters; and must be less than 100 characters long',
      );
    }
  }

  /** Message attributes: at most 10, each a known data type with a value (SNS "Amazon SNS message attributes"). */
  private checkAttributes(attrs: Record<string, MessageAttributeValue>): RecordedMessage['attributes'] {
    const entries = Object.entries(attrs);
    if (entries.length > MAX_MESSAGE_ATTRIBUTES) {
      throw invalidParameterValue(`Number of message attributes [${entries.length}] exceeds the allowed maximum [${MAX_MESSAGE_ATTRIBUTES}].`);
    }
    const out: RecordedMessage['attributes'] = {};
    for (const [name, value] of entries) {
      if (name.length === 0 || name.length > 256 || /^(AWS\.|Amazon\.)/i.test(name) || !/^[A-Za-z0-9_.-]+$/.test(name) || name.includes('..')) {
        throw invalidParameterValue(`The message attribute name '${name}' is invalid.`);
      }
      const type = value.DataType ?? '';
      const base = type.split('.')[0];
      if (base !== 'String' && base !== 'Number' && base !== 'Binary') {
        throw invalidParameterValue(`The message attribute '${name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.`);
      }
      if (base === 'Binary') {
        if (!value.BinaryValue || value.BinaryValue.length === 0) {
          throw invalidParameterValue(`The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${type}'.`);
        }
        out[name] = { DataType: type, StringValue: Buffer.from(value.BinaryValue).toString('base64') };
        continue;
      }
      if (value.StringValue === undefined || value.StringValue === '') {
        throw invalidParameterValue(`The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${type}'.`);
      }
      if (base === 'Number' && !Number.isFinite(Number(value.StringValue))) {
        throw invalidParameterValue(`The message attribute '${name}' with type 'Number' must use a valid numeric value.`);
      }
      out[name] = { DataType: type, StringValue: value.StringValue };
    }
    return out;
  }
}
