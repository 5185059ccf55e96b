import { CreateSecretCommand, DescribeSecretCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimAccount } from '../../local/sim/account';
import { ZERO_TIMING } from '../../local/sim/core';
import { installSimulatedAccount } from '../../local/sim/install';

let account: SimAccount;
let uninstall: () => void;
let sm: SecretsManagerClient;

beforeEach(() => {
  account = new SimAccount({ timing: ZERO_TIMING });
  uninstall = installSimulatedAccount(account);
  sm = new SecretsManagerClient({ maxAttempts: 1 });
});

afterEach(() => uninstall());

describe('simulated Secrets Manager', () => {
  it('creates a secret whose ARN ends in the name plus six random characters', () => {
    const arn = account.secrets.createSecret('stats/header', 'token-123');
    expect(arn).toMatch(/^arn:aws:secretsmanager:us-east-1:123456789012:secret:stats\/header-[A-Za-z0-9]{6}$/);
  });

  it('returns the value by full ARN, by name and by partial ARN', async () => {
    const arn = account.secrets.createSecret('stats/header', 'token-123');
    for (const id of [arn, 'stats/header', arn.slice(0, -7)]) {
      const r = await sm.send(new GetSecretValueCommand({ SecretId: id }));
      expect(r).toMatchObject({ ARN: arn, Name: 'stats/header', SecretString: 'token-123', VersionStages: ['AWSCURRENT'] });
    }
  });

  it('fails for an unknown secret with ResourceNotFoundException', async () => {
    await expect(sm.send(new GetSecretValueCommand({ SecretId: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:nope-AbCdEf' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      message: "Secrets Manager can't find the specified secret.",
    });
  });

  it('creates secrets through the API and refuses a duplicate name with ResourceExistsException', async () => {
    const created = await sm.send(new CreateSecretCommand({ Name: 'db-password', SecretString: 's3cret' }));
    expect(created.ARN).toMatch(/:secret:db-password-[A-Za-z0-9]{6}$/);
    await expect(sm.send(new CreateSecretCommand({ Name: 'db-password', SecretString: 'other' }))).rejects.toMatchObject({ name: 'ResourceExistsException' });
    expect((await sm.send(new GetSecretValueCommand({ SecretId: created.ARN }))).SecretString).toBe('s3cret');
  });

  it('fails for a secret created without a value', async () => {
    await sm.send(new CreateSecretCommand({ Name: 'empty' }));
    await expect(sm.send(new GetSecretValueCommand({ SecretId: 'empty' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });
});

describe('simulated Secrets Manager DescribeSecret', () => {
  it('describes a secret by full or partial ARN without its value, and answers ResourceNotFoundException for an unknown one', async () => {
    const arn = account.secrets.createSecret('orders-prod/api-token', 'tok-123');
    for (const id of [arn, arn.slice(0, -7)]) {
      const d = await sm.send(new DescribeSecretCommand({ SecretId: id }));
      expect(d).toMatchObject({ ARN: arn, Name: 'orders-prod/api-token' });
      expect(JSON.stringify(d)).not.toContain('tok-123');
    }
    await expect(sm.send(new DescribeSecretCommand({ SecretId: `${arn.slice(0, -7)}-other` }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });
});
