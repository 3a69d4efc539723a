import { afterEach } from 'vitest';
import { killAll } from '../../support/processes.js';
import { resetConnections } from './client.js';
import { startCluster, type Cluster, type ClusterOptions } from './cluster.js';
import { WEBHOOK_SECRET } from './fault-config.js';
import { startReceiver, type Receiver } from './receiver.js';

export interface FaultWorld {
  /** A webhook receiver, then a cluster configured by `opts`; both torn down after the test. */
  start(opts: ClusterOptions): Promise<{ cluster: Cluster; receiver: Receiver }>;
  /** Something else the test started (an upstream) that must go with it. */
  alsoClose(close: () => Promise<void>): void;
}

/**
 * Call once per describe block: every test's world is killed and closed after it (its
 * processes' logs reported when it failed), whatever the test did to it.
 */
export function faultWorld(): FaultWorld {
  let cluster: Cluster | undefined;
  let receiver: Receiver | undefined;
  let extra: (() => Promise<void>)[] = [];
  afterEach(async (ctx) => {
    await killAll(ctx);
    await cluster?.close();
    await receiver?.close();
    for (const close of extra) await close();
    resetConnections();
    cluster = undefined;
    receiver = undefined;
    extra = [];
  });
  return {
    async start(opts) {
      receiver = await startReceiver(WEBHOOK_SECRET);
      cluster = await startCluster(opts);
      return { cluster, receiver };
    },
    alsoClose(close) {
      extra.push(close);
    },
  };
}
