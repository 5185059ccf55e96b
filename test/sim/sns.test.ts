import { CreateTopicCommand, ListTopicsCommand, PublishCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimAccount } from '../../local/sim/account';
import { ZERO_TIMING } from '../../local/sim/core';
import { installSimulatedAccount } from '../../local/sim/install';

let account: SimAccount;
let uninstall: () => void;
let sns: SNSClient;
let topicArn: string;

beforeEach(() => {
  account = new SimAccount({ timing: ZERO_TIMING });
  uninstall = installSimulatedAccount(account);
  sns = new SNSClient({ maxAttempts: 1 });
  topicArn = account.sns.createTopic('migrations');
});

afterEach(() => uninstall());

describe('simulated SNS', () => {
  it('records every published message with its subject, attributes and time', async () => {
    const r = await sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: 'Migration of orders-prod FAILED at Compare statistics',
        Message: 'statistics differ: data.customers.count 57 != 56',
        MessageAttributes: { outcome: { DataType: 'String', StringValue: 'FAILED' }, attempt: { DataType: 'Number', StringValue: '2' } },
      }),
    );
    expect(r.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(account.sns.messages(topicArn)).toEqual([
      {
        messageId: r.MessageId,
        topicArn,
        subject: 'Migration of orders-prod FAILED at Compare statistics',
        message: 'statistics differ: data.customers.count 57 != 56',
        attributes: { outcome: { DataType: 'String', StringValue: 'FAILED' }, attempt: { DataType: 'Number', StringValue: '2' } },
        at: expect.any(Number),
      },
    ]);
  });

  it('creates topics idempotently and lists them', async () => {
    const again = await sns.send(new CreateTopicCommand({ Name: 'migrations' }));
    expect(again.TopicArn).toBe(topicArn);
    expect(topicArn).toBe('arn:aws:sns:us-east-1:123456789012:migrations');
    const listed = await sns.send(new ListTopicsCommand({}));
    expect(listed.Topics).toEqual([{ TopicArn: topicArn }]);
  });

  it('pages ListTopics 100 at a time', async () => {
    for (let n = 0; n < 150; n++) account.sns.createTopic(`t${n}`);
    const first = await sns.send(new ListTopicsCommand({}));
    expect(first.Topics).toHaveLength(100);
    const second = await sns.send(new ListTopicsCommand({ NextToken: first.NextToken }));
    expect(second.Topics).toHaveLength(51);
    expect(second.NextToken).toBeUndefined();
  });

  it('fails a publish to a missing topic with NotFound', async () => {
    await expect(sns.send(new PublishCommand({ TopicArn: `${topicArn}-gone`, Message: 'x' }))).rejects.toMatchObject({ name: 'NotFoundException' });
  });

  it.each([
    ['a line break', 'first\nsecond'],
    ['more than 100 characters', 'x'.repeat(101)],
    ['non-ASCII text', 'Migración fallida'],
    ['a leading space', ' leading'],
  ])('refuses a subject with %s (InvalidParameter)', async (_what, subject) => {
    await expect(sns.send(new PublishCommand({ TopicArn: topicArn, Subject: subject, Message: 'x' }))).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: expect.stringContaining('Subject must be ASCII text'),
    });
    expect(account.sns.messages()).toHaveLength(0);
  });

  it('accepts a 100-character subject', async () => {
    await sns.send(new PublishCommand({ TopicArn: topicArn, Subject: 'x'.repeat(100), Message: 'x' }));
    expect(account.sns.messages()).toHaveLength(1);
  });

  it('refuses an empty message and one over 256 KB (counted in UTF-8 bytes)', async () => {
    await expect(sns.send(new PublishCommand({ TopicArn: topicArn, Message: '' }))).rejects.toMatchObject({ name: 'InvalidParameterException', message: 'Invalid parameter: Empty message' });
    await expect(sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'é'.repeat(131_073) }))).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: 'Invalid parameter: Message too long',
    });
    await sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'x'.repeat(262_144) }));
  });

  it('refuses message attributes without a value or with an unknown type', async () => {
    await expect(
      sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'x', MessageAttributes: { a: { DataType: 'String', StringValue: '' } } })),
    ).rejects.toMatchObject({ name: 'InvalidParameterValueException' });
    await expect(
      sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'x', MessageAttributes: { a: { DataType: 'Json', StringValue: '{}' } } })),
    ).rejects.toMatchObject({ name: 'InvalidParameterValueException' });
  });

  it('records subscriptions, pending confirmation for email', async () => {
    const r = await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'email', Endpoint: 'ops@example.com' }));
    expect(r.SubscriptionArn).toBe('pending confirmation');
    expect(account.sns.subscriptions(topicArn)).toMatchObject([{ protocol: 'email', endpoint: 'ops@example.com' }]);
  });
});
