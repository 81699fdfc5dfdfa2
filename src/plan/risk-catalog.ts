/**
 * The built-in knowledge behind the risk tiers, as plain data: which resource types hold data, grant
 * access or filter traffic, and which attribute values are dangerous. Each entry names its source: a
 * Checkov check id (bridgecrewio/checkov), a Trivy/defsec id (AVD-...), or the provider documentation
 * (registry.terraform.io/providers/hashicorp/{aws,google,azurerm}) describing what deleting it loses.
 * Patterns are picomatch globs over the resource type. Edit here; evaluate-risk.ts holds no type names.
 */
import type { RiskLevel } from './analysis.js';

export interface StatefulCategory {
  /** Short noun phrase used in reasons: "deletes aws_db_instance.main: a database; ...". */
  what: string;
  consequence: string;
  types: string[];
  source: string;
}

/** Deleting or replacing any of these: critical. */
export const STATEFUL_CATEGORIES: StatefulCategory[] = [
  {
    what: 'a database',
    consequence: 'data is lost unless a snapshot or backup exists',
    source: 'provider docs (aws_db_instance final_snapshot_identifier, google_sql_database_instance deletion_protection, azurerm_mssql_database); Checkov CKV_AWS_293',
    types: [
      'aws_db_instance',
      'aws_rds_cluster',
      'aws_rds_global_cluster',
      'aws_dynamodb_table',
      'aws_dynamodb_global_table',
      'aws_redshift_cluster',
      'aws_redshiftserverless_namespace',
      'aws_docdb_cluster',
      'aws_docdb_elastic_cluster',
      'aws_neptune_cluster',
      'aws_elasticache_cluster',
      'aws_elasticache_replication_group',
      'aws_elasticache_serverless_cache',
      'aws_memorydb_cluster',
      'aws_opensearch_domain',
      'aws_elasticsearch_domain',
      'aws_keyspaces_table',
      'aws_timestreamwrite_table',
      'aws_qldb_ledger',
      'google_sql_database_instance',
      'google_sql_database',
      'google_alloydb_cluster',
      'google_spanner_instance',
      'google_spanner_database',
      'google_bigtable_instance',
      'google_bigtable_table',
      'google_bigquery_dataset',
      'google_bigquery_table',
      'google_firestore_database',
      'google_redis_instance',
      'google_memcache_instance',
      'azurerm_mssql_server',
      'azurerm_mssql_database',
      'azurerm_mssql_managed_instance',
      'azurerm_sql_server',
      'azurerm_sql_database',
      'azurerm_postgresql_server',
      'azurerm_postgresql_database',
      'azurerm_postgresql_flexible_server',
      'azurerm_postgresql_flexible_server_database',
      'azurerm_mysql_server',
      'azurerm_mysql_database',
      'azurerm_mysql_flexible_server',
      'azurerm_mysql_flexible_database',
      'azurerm_mariadb_server',
      'azurerm_cosmosdb_account',
      'azurerm_cosmosdb_*_database',
      'azurerm_cosmosdb_*_container',
      'azurerm_redis_cache',
    ],
  },
  {
    what: 'a storage bucket',
    consequence: 'every object in it is lost',
    source: 'provider docs (aws_s3_bucket force_destroy, google_storage_bucket force_destroy, azurerm_storage_account); Checkov CKV_AWS_21 (versioning)',
    types: ['aws_s3_bucket', 'aws_s3_directory_bucket', 'aws_glacier_vault', 'google_storage_bucket', 'azurerm_storage_account', 'azurerm_storage_container', 'azurerm_storage_blob', 'azurerm_storage_data_lake_gen2_filesystem'],
  },
  {
    what: 'a disk or file system',
    consequence: 'the data on it is lost unless a snapshot or backup exists',
    source: 'provider docs (aws_ebs_volume, aws_efs_file_system, google_compute_disk, azurerm_managed_disk); Checkov CKV_AWS_3 (EBS encryption)',
    types: [
      'aws_ebs_volume',
      'aws_ebs_snapshot',
      'aws_efs_file_system',
      'aws_fsx_*_file_system',
      'aws_backup_vault',
      'google_compute_disk',
      'google_compute_region_disk',
      'google_compute_snapshot',
      'google_filestore_instance',
      'azurerm_managed_disk',
      'azurerm_snapshot',
      'azurerm_storage_share',
      'azurerm_netapp_volume',
      'azurerm_recovery_services_vault',
      'azurerm_data_protection_backup_vault',
    ],
  },
  {
    what: 'a queue, topic or stream',
    consequence: 'messages not yet consumed are lost and producers and consumers break',
    source: 'provider docs (aws_sqs_queue, aws_sns_topic, aws_kinesis_stream, google_pubsub_topic, azurerm_servicebus_queue)',
    types: [
      'aws_sqs_queue',
      'aws_sns_topic',
      'aws_kinesis_stream',
      'aws_msk_cluster',
      'aws_msk_serverless_cluster',
      'aws_mq_broker',
      'google_pubsub_topic',
      'google_pubsub_subscription',
      'azurerm_servicebus_namespace',
      'azurerm_servicebus_queue',
      'azurerm_servicebus_topic',
      'azurerm_servicebus_subscription',
      'azurerm_eventhub_namespace',
      'azurerm_eventhub',
      'azurerm_storage_queue',
    ],
  },
  {
    what: 'an encryption key',
    consequence: 'everything encrypted with it becomes unreadable once the key is gone',
    source: 'provider docs (aws_kms_key deletion_window_in_days, google_kms_crypto_key, azurerm_key_vault_key); Checkov CKV_AWS_7 (KMS rotation)',
    types: ['aws_kms_key', 'aws_kms_external_key', 'aws_kms_replica_key', 'google_kms_crypto_key', 'google_kms_key_ring', 'azurerm_key_vault', 'azurerm_key_vault_key', 'azurerm_key_vault_managed_hardware_security_module'],
  },
  {
    what: 'a DNS zone',
    consequence: 'every record in it is lost and a recreated zone gets new name servers, so the domain stops resolving',
    source: 'provider docs (aws_route53_zone, google_dns_managed_zone, azurerm_dns_zone)',
    types: ['aws_route53_zone', 'google_dns_managed_zone', 'azurerm_dns_zone', 'azurerm_private_dns_zone'],
  },
  {
    what: 'a secret',
    consequence: 'the stored secret value is lost and everything reading it fails',
    source: 'provider docs (aws_secretsmanager_secret recovery_window_in_days, google_secret_manager_secret, azurerm_key_vault_secret)',
    types: ['aws_secretsmanager_secret', 'aws_ssm_parameter', 'google_secret_manager_secret', 'google_secret_manager_regional_secret', 'azurerm_key_vault_secret'],
  },
  {
    what: 'a container or artifact registry',
    consequence: 'every image or package stored in it is lost',
    source: 'provider docs (aws_ecr_repository force_delete, google_artifact_registry_repository, azurerm_container_registry)',
    types: ['aws_ecr_repository', 'aws_ecrpublic_repository', 'aws_codeartifact_repository', 'google_artifact_registry_repository', 'google_container_registry', 'azurerm_container_registry'],
  },
];

/**
 * Deleting or replacing these only costs a re-run: medium instead of high. They hold no data and
 * nothing outside Terraform depends on their identity.
 */
export const DISPOSABLE_TYPES: { types: string[]; source: string } = {
  types: ['null_resource', 'terraform_data', 'time_sleep', 'time_static', 'time_offset', 'time_rotating', 'random_pet', 'random_shuffle', 'local_file'],
  source: 'provider docs (hashicorp/null, built-in terraform_data, hashicorp/time, hashicorp/local): no remote object',
};

/** Any change to these grants or removes access: high. */
export const ACCESS_CONTROL_TYPES: { types: string[]; source: string } = {
  types: [
    'aws_iam_*',
    'aws_ssoadmin_*',
    'aws_identitystore_group_membership',
    'aws_organizations_policy',
    'aws_organizations_policy_attachment',
    'aws_lambda_permission',
    'aws_s3_bucket_policy',
    'aws_s3_access_point_policy',
    'aws_sqs_queue_policy',
    'aws_sns_topic_policy',
    'aws_kms_key_policy',
    'aws_ecr_repository_policy',
    'aws_ecr_registry_policy',
    'aws_secretsmanager_secret_policy',
    'aws_efs_file_system_policy',
    'aws_backup_vault_policy',
    'aws_opensearch_domain_policy',
    'aws_elasticsearch_domain_policy',
    'aws_cloudwatch_log_resource_policy',
    'aws_api_gateway_rest_api_policy',
    'aws_glacier_vault_lock',
    'aws_kms_grant',
    'aws_lakeformation_permissions',
    'google_*_iam_member',
    'google_*_iam_binding',
    'google_*_iam_policy',
    'google_*_iam_audit_config',
    'google_*_iam_custom_role',
    'google_service_account',
    'google_service_account_key',
    'azurerm_role_assignment',
    'azurerm_role_definition',
    'azurerm_key_vault_access_policy',
    'azurerm_user_assigned_identity',
    'azurerm_federated_identity_credential',
    'azuread_*',
    'kubernetes_role',
    'kubernetes_role_v1',
    'kubernetes_cluster_role',
    'kubernetes_cluster_role_v1',
    'kubernetes_role_binding',
    'kubernetes_role_binding_v1',
    'kubernetes_cluster_role_binding',
    'kubernetes_cluster_role_binding_v1',
  ],
  source: 'Checkov CKV_AWS_1 (IAM full admin policies), CKV_AZURE_39 (custom owner roles); provider docs (IAM resources of aws, google, azurerm, azuread, kubernetes)',
};

/** Network filtering: any change is at least medium; opening ingress to the internet is more. */
export const FIREWALL_TYPES: { types: string[]; source: string } = {
  types: [
    'aws_security_group',
    'aws_default_security_group',
    'aws_security_group_rule',
    'aws_vpc_security_group_ingress_rule',
    'aws_vpc_security_group_egress_rule',
    'aws_network_acl',
    'aws_default_network_acl',
    'aws_network_acl_rule',
    'aws_wafv2_web_acl',
    'aws_networkfirewall_*',
    'google_compute_firewall',
    'google_compute_firewall_policy*',
    'google_compute_network_firewall_policy*',
    'google_compute_security_policy',
    'azurerm_network_security_group',
    'azurerm_network_security_rule',
    'azurerm_firewall',
    'azurerm_firewall_*',
    'azurerm_web_application_firewall_policy',
  ],
  source: 'Trivy AVD-AWS-0107 (ingress from /0), Checkov CKV_AWS_24/CKV_AWS_25 (SSH/RDP from 0.0.0.0/0), CKV_GCP_2/CKV_GCP_3, CKV_AZURE_9/CKV_AZURE_10',
};

/** Opening ingress from anywhere to one of these ports: critical (anywhere else: high). */
export const SENSITIVE_PORTS: { ports: Record<number, string>; source: string } = {
  ports: {
    22: 'SSH',
    3389: 'RDP',
    1433: 'SQL Server',
    1521: 'Oracle',
    3306: 'MySQL',
    5432: 'PostgreSQL',
    5439: 'Redshift',
    6379: 'Redis',
    9042: 'Cassandra',
    9200: 'Elasticsearch',
    11211: 'Memcached',
    27017: 'MongoDB',
  },
  source: 'Checkov CKV_AWS_24 (22), CKV_AWS_25 (3389), CKV_AZURE_9/10, CKV_GCP_2/3; Trivy AVD-AWS-0107; well-known database ports',
};

export const OPEN_CIDRS = ['0.0.0.0/0', '::/0'];

export interface DangerousAttribute {
  /** Top-level attribute name (any resource type that has it). */
  attribute: string;
  /** The value that is dangerous. */
  dangerous: unknown;
  /** 'any': flagged on create too; 'transition': only when an existing object changes to it. */
  when: 'any' | 'transition';
  level: RiskLevel;
  reason: string;
  source: string;
}

/**
 * Attributes turning dangerous: high. `when: 'transition'` for values that are also provider
 * defaults, where a create cannot be told apart from "not set" and flagging every create would be noise.
 */
export const DANGEROUS_ATTRIBUTES: DangerousAttribute[] = [
  { attribute: 'publicly_accessible', dangerous: true, when: 'any', level: 'high', reason: 'makes it reachable from the internet', source: 'Checkov CKV_AWS_17' },
  { attribute: 'deletion_protection', dangerous: false, when: 'transition', level: 'high', reason: 'turns deletion protection off', source: 'Checkov CKV_AWS_293; provider docs (google_sql_database_instance)' },
  { attribute: 'deletion_protection_enabled', dangerous: false, when: 'transition', level: 'high', reason: 'turns deletion protection off', source: 'provider docs (aws_dynamodb_table)' },
  { attribute: 'skip_final_snapshot', dangerous: true, when: 'transition', level: 'high', reason: 'skips the final snapshot, so a later delete loses the data', source: 'provider docs (aws_db_instance)' },
  { attribute: 'force_destroy', dangerous: true, when: 'transition', level: 'high', reason: 'allows deleting it with all its contents', source: 'provider docs (aws_s3_bucket, google_storage_bucket)' },
  { attribute: 'force_delete', dangerous: true, when: 'transition', level: 'high', reason: 'allows deleting it with all its contents', source: 'provider docs (aws_ecr_repository)' },
  { attribute: 'storage_encrypted', dangerous: false, when: 'transition', level: 'high', reason: 'turns encryption at rest off', source: 'Checkov CKV_AWS_16' },
  { attribute: 'encrypted', dangerous: false, when: 'transition', level: 'high', reason: 'turns encryption off', source: 'Checkov CKV_AWS_3' },
  { attribute: 'at_rest_encryption_enabled', dangerous: false, when: 'transition', level: 'high', reason: 'turns encryption at rest off', source: 'Checkov CKV_AWS_29' },
  { attribute: 'transit_encryption_enabled', dangerous: false, when: 'transition', level: 'high', reason: 'turns encryption in transit off', source: 'Checkov CKV_AWS_30' },
  { attribute: 'encryption_enabled', dangerous: false, when: 'transition', level: 'high', reason: 'turns encryption off', source: 'provider docs' },
  { attribute: 'acl', dangerous: 'public-read', when: 'any', level: 'high', reason: 'grants public read access', source: 'Checkov CKV_AWS_20' },
  { attribute: 'acl', dangerous: 'public-read-write', when: 'any', level: 'high', reason: 'grants public read and write access', source: 'Checkov CKV_AWS_57' },
  { attribute: 'acl', dangerous: 'authenticated-read', when: 'any', level: 'high', reason: 'grants read access to every AWS account', source: 'Checkov CKV_AWS_20' },
  { attribute: 'block_public_acls', dangerous: false, when: 'transition', level: 'high', reason: 'stops blocking public ACLs', source: 'Checkov CKV_AWS_53' },
  { attribute: 'block_public_policy', dangerous: false, when: 'transition', level: 'high', reason: 'stops blocking public bucket policies', source: 'Checkov CKV_AWS_54' },
  { attribute: 'ignore_public_acls', dangerous: false, when: 'transition', level: 'high', reason: 'stops ignoring public ACLs', source: 'Checkov CKV_AWS_55' },
  { attribute: 'restrict_public_buckets', dangerous: false, when: 'transition', level: 'high', reason: 'stops restricting public buckets', source: 'Checkov CKV_AWS_56' },
  { attribute: 'allow_blob_public_access', dangerous: true, when: 'any', level: 'high', reason: 'allows public access to blobs', source: 'provider docs (azurerm_storage_account, provider 2.x)' },
  { attribute: 'allow_nested_items_to_be_public', dangerous: true, when: 'transition', level: 'high', reason: 'allows public access to blobs', source: 'provider docs (azurerm_storage_account, provider 3.x+)' },
  { attribute: 'public_network_access_enabled', dangerous: true, when: 'transition', level: 'high', reason: 'opens public network access', source: 'provider docs (azurerm)' },
];

/** Attributes whose change alone is metadata, not infrastructure. */
export const TAG_ATTRIBUTES = ['tags', 'tags_all', 'labels', 'effective_labels', 'terraform_labels'];

/**
 * Default of risk.many_changes_threshold. It lives here, not beside the zod schema in risk-config.ts,
 * so that analysing a plan never loads zod (the CLI's `render --format json` starts faster without it).
 */
export const DEFAULT_MANY_CHANGES_THRESHOLD = 25;

/** Plan-wide thresholds (the many-changes one is configurable: risk.many_changes_threshold). */
export const PLAN_WIDE_LEVELS = {
  manyChanges: 'medium',
  drift: 'medium',
  errored: 'high',
} as const satisfies Record<string, RiskLevel>;
