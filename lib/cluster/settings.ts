// Worker.cluster: where the cluster's messages go beyond this host.
import type { RedisOptions } from './RedisBroker';

export interface ClusterSettings {
  /** A redis:// URL or ioredis options: every process of every host that points at the same Redis is one cluster. */
  redis?: RedisOptions;
  /** Prefix of the Redis channels; default 'netwright:'. Clusters that share a Redis need different prefixes. */
  prefix?: string;
}

export const clusterSettings: { value: ClusterSettings | null; frozen: boolean } = { value: null, frozen: false };
