/**
 * Simulated AWS Secrets Manager: the statistics endpoint's request header value lives here, so the
 * workflow's input only ever carries the secret's ARN. Secrets are found by name, full ARN or partial
 * ARN (the ARN without its random suffix), as GetSecretValue's SecretId accepts (API reference).
 */
import type {
  CreateSecretCommandInput,
  CreateSecretCommandOutput,
  DescribeSecretCommandInput,
  DescribeSecretCommandOutput,
  GetSecretValueCommandInput,
  GetSecretValueCommandOutput,
} from '@aws-sdk/client-secrets-manager';
import type { SimAccount } from './account';
import { type OpHandler, type OpInput, SimServiceError, type SimService } from './core';
import { IdSource, MIXED_ALNUM } from './ids';

type Out<T> = Omit<T, '$metadata'>;

interface SecretVersion {
  versionId: string;
  stages: string[];
  createdAt: Date;
  secretString?: string;
  secretBinary?: Uint8Array;
}

interface SecretState {
  arn: string;
  name: string;
  createdAt: Date;
  versions: SecretVersion[];
}

const notFound = (message = "Secrets Manager can't find the specified secret.") => new SimServiceError('ResourceNotFoundException', message, 400);
const invalidParameter = (message: string) => new SimServiceError('InvalidParameterException', message, 400);

export class SecretsManagerSim implements SimService {
  readonly serviceName = 'SecretsManager';
  readonly operations: Record<string, OpHandler>;
  private readonly secrets = new Map<string, SecretState>();
  private readonly ids = new IdSource('secretsmanager');

  constructor(private readonly account: SimAccount) {
    this.operations = {
      CreateSecret: (i) => this.opCreateSecret(i),
      GetSecretValue: (i) => this.opGetSecretValue(i),
      DescribeSecret: (i) => this.opDescribeSecret(i),
    };
  }

  /** Creates a secret holding `value` and returns its ARN (`...:secret:<name>-<6 random characters>`). */
  createSecret(name: string, value: string): string {
    return this.create(name, { secretString: value }).arn;
  }

  private create(name: string, value: { secretString?: string; secretBinary?: Uint8Array; versionId?: string }): SecretState {
    if (this.secrets.has(name)) {
      throw new SimServiceError('ResourceExistsException', `The operation failed because the secret ${name} already exists.`, 400);
    }
    const now = new Date(this.account.now());
    // The six random characters make a recreated secret's ARN differ from the deleted one's.
    const secret: SecretState = { arn: this.account.arn('secretsmanager', `secret:${name}-${this.ids.next(6, MIXED_ALNUM)}`), name, createdAt: now, versions: [] };
    if (value.secretString !== undefined || value.secretBinary !== undefined) {
      secret.versions.push({
        versionId: value.versionId ?? this.ids.uuid(),
        stages: ['AWSCURRENT'],
        createdAt: now,
        secretString: value.secretString,
        secretBinary: value.secretBinary,
      });
    }
    this.secrets.set(name, secret);
    return secret;
  }

  private opCreateSecret(i: OpInput): Out<CreateSecretCommandOutput> {
    const input = i as unknown as CreateSecretCommandInput;
    if (!input.Name) throw invalidParameter('You must provide a value for the Name parameter.');
    // Secret names: 1-512 characters of letters, digits and /_+=.@- (CreateSecret reference). Services
    // name the secrets they manage outside that set (RDS: "rds!db-..."), so the internal API does not check.
    if (!/^[A-Za-z0-9/_+=.@-]{1,512}$/.test(input.Name)) {
      throw invalidParameter('Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!');
    }
    if (input.SecretString !== undefined && input.SecretBinary !== undefined) {
      throw invalidParameter("You can't specify both a binary secret value and a string secret value in the same secret.");
    }
    const existing = this.secrets.get(input.Name);
    // CreateSecret is idempotent for a repeated ClientRequestToken with the same value.
    const sameRequest = existing?.versions.find((v) => input.ClientRequestToken !== undefined && v.versionId === input.ClientRequestToken);
    if (existing && sameRequest && sameRequest.secretString === input.SecretString) {
      return { ARN: existing.arn, Name: existing.name, VersionId: sameRequest.versionId };
    }
    const secret = this.create(input.Name, { secretString: input.SecretString, secretBinary: input.SecretBinary, versionId: input.ClientRequestToken });
    return { ARN: secret.arn, Name: secret.name, VersionId: secret.versions[0]?.versionId };
  }

  private opGetSecretValue(i: OpInput): Out<GetSecretValueCommandOutput> {
    const input = i as unknown as GetSecretValueCommandInput;
    const secret = this.find(input.SecretId);
    const stage = input.VersionStage ?? (input.VersionId ? undefined : 'AWSCURRENT');
    const version = secret.versions.find((v) => (input.VersionId === undefined || v.versionId === input.VersionId) && (stage === undefined || v.stages.includes(stage)));
    if (!version) {
      throw notFound(
        input.VersionId
          ? `Secrets Manager can't find the specified secret value for VersionId: ${input.VersionId}`
          : `Secrets Manager can't find the specified secret value for staging label: ${stage}`,
      );
    }
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: version.versionId,
      SecretString: version.secretString,
      SecretBinary: version.secretBinary,
      VersionStages: [...version.stages],
      CreatedDate: version.createdAt,
    };
  }

  /**
   * DescribeSecret (API reference): the secret's details without its value, found like GetSecretValue
   * finds it; VersionIdsToStages maps each version to its staging labels.
   */
  private opDescribeSecret(i: OpInput): Out<DescribeSecretCommandOutput> {
    const input = i as unknown as DescribeSecretCommandInput;
    const secret = this.find(input.SecretId);
    return {
      ARN: secret.arn,
      Name: secret.name,
      CreatedDate: secret.createdAt,
      VersionIdsToStages: Object.fromEntries(secret.versions.map((v) => [v.versionId, [...v.stages]])),
    };
  }

  private find(secretId: string | undefined): SecretState {
    if (!secretId) throw invalidParameter('You must provide a value for the SecretId parameter.');
    const byName = this.secrets.get(secretId);
    if (byName) return byName;
    for (const secret of this.secrets.values()) {
      // Full ARN, or partial ARN: the full ARN without the "-xxxxxx" suffix.
      if (secret.arn === secretId || secret.arn.slice(0, -7) === secretId) return secret;
    }
    throw notFound();
  }
}
