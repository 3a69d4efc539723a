/**
 * GENERATED FILE: do not edit. The types of the gateway's openapi.yaml, made by
 * openapi-typescript; regenerate with `npm run client:types` (at the repository root).
 * A test in npm test fails when this file is not current with openapi.yaml.
 */

export interface paths {
    "/v1/jobs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The caller's jobs, newest first */
        get: operations["listJobs"];
        put?: never;
        /**
         * Submit a job
         * @description Give `target`, or `route` to let a route from the config (`routes:`) pick the target
         *     by the input's content, exactly one of the two. A `switch` route's rules are
         *     JSONata predicates over `input`, tried in order; the first that is true names the
         *     target, and a rule without `when` is the default. They are evaluated before
         *     anything is stored: no match is `422 no_route_match`, a failing expression
         *     `422 expression_failed`. The job is then an ordinary job of the chosen target, and
         *     its document names the `route`.
         */
        post: operations["submitJob"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/batches": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Submit several jobs at once, all or none
         * @description `jobs` holds 1 to `server.maxBatchJobs` (default 1000) submit envelopes, each as for
         *     `POST /v1/jobs` (with `target` or `route`). Every item is checked first: any invalid
         *     item makes the whole batch a `422` whose `errors` point at `/jobs/<index>/…`, and
         *     nothing is stored. A valid batch's jobs are then admitted together. If any is refused
         *     (the tenant's quota or rate, a full queue), the others are taken back out, and the
         *     answer is that refusal. Each job counts against the tenant's rate and quota as one
         *     submit. The jobs are ordinary jobs of their tenant, each readable at its own URL.
         *     `Idempotency-Key` works as on `POST /v1/jobs`. A batch `callback` gets one signed
         *     webhook, `{type: "batch.completed", timestamp, data: <batch document>}` with
         *     `webhook-id: msg_<batch id>`, when the last job ends. It is signed and retried like a
         *     job's webhook, on `webhooks.scheduleMs`.
         */
        post: operations["submitBatch"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/batches/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The batch id (`bat_…`). */
                id: string;
            };
            cookie?: never;
        };
        /** The batch document (optionally long-polled until every job has ended) */
        get: operations["getBatch"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/jobs/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: components["parameters"]["JobId"];
            };
            cookie?: never;
        };
        /** The job document (optionally long-polled) */
        get: operations["getJob"];
        put?: never;
        post?: never;
        /** Cancel the job (same as POST /v1/jobs/{id}/cancel) */
        delete: operations["deleteJob"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/jobs/{id}/cancel": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: components["parameters"]["JobId"];
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Cancel the job
         * @description A queued job is canceled at once (`200`). A running job's AbortSignal fires in
         *     whichever executor runs it; the answer is `200` once the worker confirmed within
         *     two seconds, else `202` with `cancelRequested: true`. A finished job is `409`.
         */
        post: operations["cancelJob"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/jobs/{id}/result": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: components["parameters"]["JobId"];
            };
            cookie?: never;
        };
        /**
         * The job's result
         * @description For a handler target, the value the handler returned, as JSON. For an http target,
         *     the upstream's answer replayed: its status code, content type and body bytes.
         */
        get: operations["getJobResult"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/jobs/{id}/deliveries": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: components["parameters"]["JobId"];
            };
            cookie?: never;
        };
        /** The job's webhook delivery attempts, oldest first */
        get: operations["listDeliveries"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/jobs/{id}/events": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: components["parameters"]["JobId"];
            };
            cookie?: never;
        };
        /**
         * Server-sent events for the job
         * @description Every stored event after `Last-Event-ID`, then live ones until the terminal status,
         *     then the stream ends. Event ids are the job's event sequence numbers (1, 2, 3, …),
         *     stable across reconnects, so a reconnect with `Last-Event-ID` resumes exactly where
         *     it stopped. The newest 200 events of a job are kept.
         *
         *     - `event: status`, data `{type, status, attempt, at, error?, retryDelayMs?}`: a status
         *       change (a retry shows as `queued` with the error and the delay). The terminal one
         *       (`succeeded`, `failed`, `canceled`) also carries `job`, the finished job document.
         *     - `event: progress`, data `{type, progress, attempt, at}`.
         *     - `event: step` (a fanOut or chain route's job only), data `{type, step, status, at}`:
         *       the step named `step` moved to `status` (`queued`, `running`, `succeeded`,
         *       `failed`, `canceled`). Statuses only move forward, but for a replayed step, which
         *       goes back to `queued`; one may be missing when a later one was recorded first (a
         *       chain step can start before its route has recorded it `queued`).
         *
         *     Comment lines (`: keep-alive`) are sent every `server.eventsHeartbeatSeconds` (15 s by
         *     default), so that idle proxies keep the stream open. A stream of an unfinished job
         *     counts as a held request: beyond the tenant's limit `429 too_many_waiting`, beyond
         *     the gateway's `503 gateway_busy`.
         */
        get: operations["streamJobEvents"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/async/{target}/{path}": {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description RFC 7240. `respond-async` is always honoured; `wait=N` asks the gateway to hold the
                 *     answer up to N seconds (bounded by the server's maxWaitSeconds) and answer 200 with
                 *     the finished job if it ends in time. A tenant already at its limit of held requests
                 *     gets the `202` at once (the job is admitted either way); `Preference-Applied` then
                 *     lacks `wait`.
                 */
                Prefer?: components["parameters"]["Prefer"];
                /**
                 * @description IETF httpapi draft: a structured-field string (`"abc"`; a bare token `abc` works too),
                 *     1-255 characters, scoped to the tenant. The same key with the same request returns the
                 *     first answer with `Idempotent-Replayed: true`; with a different request, 422
                 *     `idempotency_key_reused`; while the first is being admitted, 409 `idempotency_key_in_use`.
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
                /** @description Push the outcome to this URL as a signed webhook (every event), as `callback.url` does for POST /v1/jobs. */
                "Callback-Url"?: string;
            };
            path: {
                target: string;
                /**
                 * @description The path suffix (any number of segments, possibly none: `/v1/async/{target}` works
                 *     too), appended to the target URL's path. Dot segments and encoded slashes are
                 *     refused with 400.
                 */
                path: string;
            };
            cookie?: never;
        };
        /**
         * Capture this GET request as a job for an http target
         * @description The request itself (method, path suffix, query string, the target's allowed headers,
         *     raw body) is stored and replayed to the target's upstream with
         *     `Idempotency-Key: <job id>`. The answer is the same as for `POST /v1/jobs`;
         *     `GET /v1/jobs/{id}/result` replays the upstream's status, content type and body.
         */
        get: operations["transparentGet"];
        /**
         * Capture this PUT request as a job for an http target
         * @description The request itself (method, path suffix, query string, the target's allowed headers,
         *     raw body) is stored and replayed to the target's upstream with
         *     `Idempotency-Key: <job id>`. The answer is the same as for `POST /v1/jobs`;
         *     `GET /v1/jobs/{id}/result` replays the upstream's status, content type and body.
         */
        put: operations["transparentPut"];
        /**
         * Capture this POST request as a job for an http target
         * @description The request itself (method, path suffix, query string, the target's allowed headers,
         *     raw body) is stored and replayed to the target's upstream with
         *     `Idempotency-Key: <job id>`. The answer is the same as for `POST /v1/jobs`;
         *     `GET /v1/jobs/{id}/result` replays the upstream's status, content type and body.
         */
        post: operations["transparentPost"];
        /**
         * Capture this DELETE request as a job for an http target
         * @description The request itself (method, path suffix, query string, the target's allowed headers,
         *     raw body) is stored and replayed to the target's upstream with
         *     `Idempotency-Key: <job id>`. The answer is the same as for `POST /v1/jobs`;
         *     `GET /v1/jobs/{id}/result` replays the upstream's status, content type and body.
         */
        delete: operations["transparentDelete"];
        options?: never;
        head?: never;
        /**
         * Capture this PATCH request as a job for an http target
         * @description The request itself (method, path suffix, query string, the target's allowed headers,
         *     raw body) is stored and replayed to the target's upstream with
         *     `Idempotency-Key: <job id>`. The answer is the same as for `POST /v1/jobs`;
         *     `GET /v1/jobs/{id}/result` replays the upstream's status, content type and body.
         */
        patch: operations["transparentPatch"];
        trace?: never;
    };
    "/v1/admin/targets": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Targets with queue depths and policy */
        get: operations["listTargets"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/targets/{target}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                target: components["parameters"]["Target"];
            };
            cookie?: never;
        };
        /** One target with its queue depths and policy */
        get: operations["getTarget"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/targets/{target}/pause": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                target: components["parameters"]["Target"];
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Stop starting the target's jobs (running ones finish; new ones are still accepted) */
        post: operations["pauseTarget"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/targets/{target}/circuit": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                target: components["parameters"]["Target"];
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Hold the target's circuit breaker open, or close it
         * @description `open` holds the breaker open, with no half-open probes, until an operator closes it:
         *     no attempt is made on the target, its due jobs wait in the queue (their documents show
         *     `deferred` with `until: null`). `closed` closes it with a fresh failure window; every
         *     executor sees it within a second and takes the waiting jobs again. The breaker may open
         *     again on new failures. Only for a target with `circuitBreaker` in the config.
         */
        post: operations["setTargetCircuit"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/targets/{target}/resume": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                target: components["parameters"]["Target"];
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Start the target's jobs again after a pause */
        post: operations["resumeTarget"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/targets/{target}/jobs": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                target: components["parameters"]["Target"];
            };
            cookie?: never;
        };
        /** A target's jobs still in its queue, or its most recently finished ones */
        get: operations["listTargetJobs"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/jobs/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: components["parameters"]["JobId"];
            };
            cookie?: never;
        };
        /**
         * One job's whole timeline, whichever tenant owns it
         * @description The job document, its tenant, every attempt (with error and retry delay) and every webhook delivery attempt.
         */
        get: operations["inspectJob"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/activity": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Finished jobs per minute and target (the dashboard's chart)
         * @description Kept in Redis for 25 hours, counted by the executors (and the gateway, for cancels) and
         *     written once a second, so the newest second may not show yet (best effort: Prometheus
         *     is the real history). Minutes with nothing finished are zeros.
         */
        get: operations["activity"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/dead-letters": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Dead letters, most recent failure first */
        get: operations["listDeadLetters"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/dead-letters/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: components["parameters"]["JobId"];
            };
            cookie?: never;
        };
        /** A dead letter with every attempt's outcome */
        get: operations["getDeadLetter"];
        put?: never;
        post?: never;
        /** Remove a dead letter and its job for good */
        delete: operations["purgeDeadLetter"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/dead-letters/{id}/replay": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: components["parameters"]["JobId"];
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Queue the job again under the same id, with a fresh set of attempts */
        post: operations["replayDeadLetter"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/dead-letters/replay": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Replay many dead letters (by id, or all of them, optionally of one target) */
        post: operations["replayDeadLetters"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/dead-letters/purge": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Purge many dead letters (by id, or all of them, optionally of one target) */
        post: operations["purgeDeadLetters"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/webhook-dead-letters": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Jobs whose webhook ran out of delivery attempts (or lost three with its notifier) */
        get: operations["listWebhookDeadLetters"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/webhook-dead-letters/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: components["parameters"]["JobId"];
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Forget a dead-lettered webhook (the job stays) */
        delete: operations["purgeWebhookDeadLetter"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/webhook-dead-letters/{id}/redeliver": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: components["parameters"]["JobId"];
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Deliver a dead-lettered (or a finished job's still-pending) webhook again, as the same message (same webhook-id), on a fresh schedule */
        post: operations["redeliverWebhook"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/healthz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Liveness */
        get: operations["healthz"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/readyz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Readiness (Redis answers a PING within one second), with workers seen per target
         * @description 503 only when Redis does not answer: a gateway can still accept work while executors
         *     are away, and taking it out of the load balancer would refuse the very jobs the queue
         *     exists to hold. Targets without an executor heartbeat in the last 15 s (and, when
         *     webhooks are configured, no notifier) make the status `degraded`, still 200; with
         *     `?strict=true` that is a 503, for a monitor.
         */
        get: operations["readyz"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Prometheus metrics of this gateway (needs the admin or metrics role)
         * @description The `asyncgw_*` series listed in docs/operations.md, in the Prometheus text format.
         */
        get: operations["metrics"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/session": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Who the dashboard is signed in as */
        get: operations["whoAmI"];
        put?: never;
        /**
         * Sign the dashboard in with an admin API key
         * @description Sets `agw_admin`, an opaque session token (HttpOnly, SameSite=Strict, 8 hours; Secure
         *     over https). Redis keeps only the token's hash and the key's id. The cookie opens
         *     `/admin/*` and `/v1/admin/*` only; a state-changing request with it must carry the
         *     gateway's own `Origin`.
         */
        post: operations["signIn"];
        /** End the dashboard session */
        delete: operations["signOut"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/openapi.yaml": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** This document */
        get: operations["openapi"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /** @description Either `ids`, or `all: true`; `target` narrows `all` to one target. */
        BulkRequest: {
            ids?: string[];
            /** @enum {boolean} */
            all?: true;
            target?: string;
        };
        TargetView: {
            name: string;
            /** @description Executors seen (heartbeat) in the last 15 s. */
            workers: number;
            /** @description How long the job ready the longest has waited; 0 when none waits. */
            oldestWaitingSeconds: number;
            /** @enum {string} */
            kind: "http" | "handler";
            counts: {
                waiting: number;
                delayed: number;
                active: number;
                paused: boolean;
            };
            policy: {
                attempts: number;
                timeoutMs: number;
                concurrency: number;
                maxQueueAgeMs: number;
                priority: {
                    min: number;
                    max: number;
                    default: number;
                };
            };
            /** @description The target's circuit breaker; absent when the target has none. */
            circuit?: {
                /** @enum {string} */
                state: "closed" | "half_open" | "open";
                /**
                 * Format: date-time
                 * @description When it entered this state; null if it never changed.
                 */
                since: string | null;
                /**
                 * Format: date-time
                 * @description While open, when half-open probes begin; null otherwise, and while an operator holds it open.
                 */
                until: string | null;
                /** @description Held open by an operator until one closes it. */
                forced: boolean;
                /** @description Closed: retryable failures over counted attempts in the current window (0 when none). Open or half-open: the share that opened it (1 after a failed probe, 0 when an operator held it open). */
                failureRatio: number;
                /** @description Attempts counted in the current window (successes and retryable failures); 0 while open, as the window starts afresh when it closes. */
                attempts: number;
            };
            /** @description The target's adaptive concurrency; present only for http targets with `adaptiveConcurrency` in the config. */
            concurrency?: {
                /** @description Attempts allowed in flight across all executors. */
                limit: number;
                /** @description Attempts in flight across executors, as they last reported. */
                inFlight: number;
                /** @description The lowest the limit goes. */
                min: number;
                /** @description The highest the limit goes. */
                max: number;
                /** @description The reference latency (the fastest mean latency the limiter has seen, drifting up slowly), ms; null before the first answer. */
                referenceLatencyMs: number | null;
            };
            /** @description The target's tenant lanes; present only for targets with `fairness: tenant` in the config. Its jobs wait in one lane per tenant (and priority) and move into the queue round-robin by weight, a window at a time. */
            fairness?: {
                /** @description Tenants with at least one job waiting in a lane. */
                activeTenants: number;
                /** @description Jobs waiting in the lanes, not yet in the queue (also counted in `counts.waiting`). */
                waiting: number;
                /** @description Delayed jobs that join their tenants' lanes when due (also counted in `counts.delayed`). */
                scheduled: number;
                /** @description Jobs taken from the lanes whose add to the queue is not confirmed yet; an executor re-adds them after a 5 s lease if the process that took them died. */
                dispatching: number;
                /** @description Jobs the queue may hold waiting at once for this target, max(4, 2 × concurrency). */
                window: number;
                /** @description The tenants with the most jobs waiting, most first (at most 10). */
                tenants: {
                    tenant: string;
                    /** @description Its jobs waiting in its lanes, at every priority. */
                    waiting: number;
                    /** @description Its share of the round-robin (`tenants.*.weight`). */
                    weight: number;
                    /** @description `tenants.*.maxRunningPerTarget`; null without a cap. */
                    maxRunning: number | null;
                    /** @description With a cap, its jobs taken from the lanes and not ended (what the cap counts); null without one. */
                    running: number | null;
                }[];
            };
        };
        JobTimeline: {
            /**
             * @description The job's trace in the trace viewer (`tracing.viewerUrl` with the job's `traceId`); null when no viewer is configured.
             * @example http://jaeger.internal:16686/trace/4bf92f3577b34da6a3ce929d0e0e4736
             */
            traceUrl: string | null;
            job: components["schemas"]["JobDocument"];
            tenant: string;
            attempts: components["schemas"]["Attempt"][];
            deliveries: components["schemas"]["Delivery"][];
        };
        Activity: {
            /** @enum {integer} */
            bucketSeconds: 60;
            targets: {
                [key: string]: {
                    /** @description Start of the minute, epoch milliseconds. */
                    t: number;
                    counts: {
                        succeeded?: number;
                        failed?: number;
                        canceled?: number;
                        expired?: number;
                    };
                }[];
            };
        };
        DeadLetter: {
            job: components["schemas"]["JobDocument"];
            attempts: components["schemas"]["Attempt"][];
        };
        /** @enum {string} */
        JobStatus: "queued" | "running" | "succeeded" | "failed" | "canceled";
        JobError: {
            /** @description Stable, machine-readable: e.g. handler_error, upstream_status, timeout, expired. */
            code: string;
            message: string;
            retryable: boolean;
        };
        Attempt: {
            attempt: number;
            startedAt: string | null;
            /** Format: date-time */
            finishedAt: string;
            /** @enum {string} */
            outcome: "succeeded" | "failed" | "canceled" | "lost";
            error?: components["schemas"]["JobError"];
            retryDelayMs?: number;
        };
        /** @description Free-form labels, searchable with `GET /v1/jobs?metadata.K=V`. */
        Metadata: {
            [key: string]: string;
        };
        SubmitRequest: {
            /** @description The target that runs the job. Give target or route, exactly one. */
            target?: string;
            /** @description A route from the config (`routes:`), instead of `target`: a switch route picks the target by the input and answers with that target's job; a fanOut or chain route answers with the route's own job (target `route:<name>`), whose `steps` are ordinary jobs. Give target or route, exactly one. */
            route?: string;
            /** @description Passed to the target: the handler input, or the JSON body of an http target. */
            input?: unknown;
            /** @description Higher runs first; must lie within the target's configured range. */
            priority?: number;
            /** @description Milliseconds to wait before the job becomes due. */
            delay?: number;
            /**
             * Format: date-time
             * @description When the job becomes due (exclusive with delay).
             */
            runAt?: string;
            /** @description Milliseconds the job may wait once due before it ends failed with code expired. */
            ttl?: number;
            metadata?: components["schemas"]["Metadata"];
            /** @description Where to push the outcome when the job ends. */
            callback?: {
                /** @description http(s) URL to receive the signed webhook; checked against the SSRF guard. */
                url: string;
                /** @description Events to deliver; all three by default. */
                events?: ("job.succeeded" | "job.failed" | "job.canceled")[];
            };
        };
        JobDocument: {
            /** @description `job_`, 4 characters naming the Redis slot of the job's target, and 128 random bits (base64url). Opaque: clients keep it and send it back as it is. */
            id: string;
            /** @description The target that runs the job; `route:<name>` for a fanOut or chain route's job, which no one target runs (its steps name theirs). */
            target: string;
            status: components["schemas"]["JobStatus"];
            /** Format: date-time */
            createdAt: string;
            /** @description When a delayed job becomes due; null when it was due at once. */
            runAt: string | null;
            startedAt: string | null;
            finishedAt: string | null;
            attempts: number;
            maxAttempts: number;
            priority: number;
            progress: number | {
                [key: string]: unknown;
            } | null;
            /** @description Present when succeeded and small; otherwise read links.result. A handler target's return value; an http target's upstream answer as `{status, contentType, body, bodyEncoding}` (`body` is base64 when `bodyEncoding` is `base64`). */
            result?: unknown;
            error: components["schemas"]["JobError"] | null;
            deadLettered: boolean;
            cancelRequested: boolean;
            correlationId: string;
            /** @description The route the job was submitted to: the one that chose its target (switch), or whose job it is or is a step of (fanOut, chain). */
            route?: string;
            /** @description A fanOut or chain route's job: one entry per branch or step, in the route's order, with its status as the route last heard it (it follows the step's own within the outbox relay's delay). */
            steps?: {
                name: string;
                target: string;
                /** @enum {string} */
                status: "pending" | "skipped" | "queued" | "running" | "succeeded" | "failed" | "canceled";
                /** @description The step's own job (an ordinary job of the same tenant); null while pending or when skipped. */
                jobId: string | null;
            }[];
            /** @description A fanOut or chain route's step only: the route's job it is a step of (that job's `steps` list it). */
            routeJobId?: string;
            /** @description The W3C trace id of the job's trace: every span of the job (the submit, each attempt, the upstream calls, the webhooks) and the traceparent its calls carry have it. A trace viewer finds the job by it when tracing is on (docs/operations.md, Tracing). */
            traceId: string;
            metadata: {
                [key: string]: string;
            };
            /** @description Present on a queued job whose target's circuit breaker is open: no attempt is made (none is spent) until it closes. The job's maxQueueAgeMs or ttl still applies. */
            deferred?: {
                /** @constant */
                reason: "circuit_open";
                /** @description When the breaker lets probe attempts through; null while it is half-open (waiting for its probes) or held open by an operator. */
                until: string | null;
            };
            /** @description pending until the job ends; then delivered, failed (retries exhausted, or 410), or skipped (event not subscribed). */
            callback: {
                url: string;
                events: ("job.succeeded" | "job.failed" | "job.canceled")[];
                /** @enum {string} */
                state: "pending" | "delivered" | "failed" | "skipped";
            } | null;
            links: {
                self: string;
                result: string;
                events: string;
                cancel: string;
            };
        };
        JobList: {
            items: components["schemas"]["JobDocument"][];
            nextCursor: string | null;
        };
        Problem: {
            type: string;
            title: string;
            status: number;
            detail?: string;
            code: string;
            instance?: string;
            requestId?: string;
            errors?: {
                path: string;
                message: string;
            }[];
            /** @description For a failed job: the error it ended with. */
            jobError?: components["schemas"]["JobError"];
        };
        Delivery: {
            webhookId: string;
            /** @enum {string} */
            event: "job.succeeded" | "job.failed" | "job.canceled";
            attempt: number;
            /** Format: date-time */
            at: string;
            durationMs: number;
            statusCode: number | null;
            error: string | null;
            /** @enum {string} */
            outcome: "delivered" | "retrying" | "failed";
        };
        /** @description Several jobs admitted together: all of them, or (on any refusal) none. */
        BatchRequest: {
            /** @description Submit envelopes, as for POST /v1/jobs, each with `target` or `route`. All are validated first: one bad item refuses the whole batch, each error pointing at `/jobs/<index>/…`. */
            jobs: components["schemas"]["SubmitRequest"][];
            /** @description Where to push the batch document once, when every job has ended. */
            callback?: {
                /** @description http(s) URL for the signed `batch.completed` webhook; checked against the SSRF guard. */
                url: string;
            };
        };
        BatchDocument: {
            /** @description `bat_` and 128 random bits (base64url). Opaque. */
            id: string;
            /**
             * @description completed once every job has ended (succeeded, failed or canceled).
             * @enum {string}
             */
            status: "running" | "completed";
            /** Format: date-time */
            createdAt: string;
            /** @description Jobs by status; every status is present, 0 when none. */
            counts: {
                queued: number;
                running: number;
                succeeded: number;
                failed: number;
                canceled: number;
                expired: number;
            };
            /** @description Each item's job, in the request's order. */
            jobs: {
                id: string;
                /** @enum {string} */
                status: "queued" | "running" | "succeeded" | "failed" | "canceled" | "expired";
            }[];
            /** @description pending until every job has ended; then delivered, or failed (retries exhausted, or 410). */
            callback: {
                url: string;
                /** @enum {string} */
                state: "pending" | "delivered" | "failed" | "skipped";
            } | null;
            links: {
                self: string;
            };
        };
    };
    responses: {
        /** @description The job is stored and queued. */
        Accepted: {
            headers: {
                "X-Request-Id": components["headers"]["XRequestId"];
                Location: components["headers"]["Location"];
                "Operation-Location": components["headers"]["OperationLocation"];
                "Retry-After": components["headers"]["RetryAfter"];
                "Preference-Applied": components["headers"]["PreferenceApplied"];
                Vary: components["headers"]["Vary"];
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["JobDocument"];
            };
        };
        /** @description `Prefer: wait=N` was given and the job ended in time: the finished document. */
        FinishedWithinWait: {
            headers: {
                "X-Request-Id": components["headers"]["XRequestId"];
                Location: components["headers"]["Location"];
                "Preference-Applied": components["headers"]["PreferenceApplied"];
                Vary: components["headers"]["Vary"];
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["JobDocument"];
            };
        };
        /** @description The job is canceled. */
        Canceled: {
            headers: {
                "X-Request-Id": components["headers"]["XRequestId"];
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["JobDocument"];
            };
        };
        /** @description The job is running; its cancel was signalled but not yet confirmed. */
        CancelRequested: {
            headers: {
                "X-Request-Id": components["headers"]["XRequestId"];
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["JobDocument"];
            };
        };
        /** @description The target. */
        TargetView: {
            headers: {
                "X-Request-Id": components["headers"]["XRequestId"];
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["TargetView"];
            };
        };
        /** @description `ready` or `degraded` (200; 503 with ?strict=true when degraded), or `unavailable` (503), with each check. */
        Readiness: {
            headers: {
                "X-Request-Id": components["headers"]["XRequestId"];
                [name: string]: unknown;
            };
            content: {
                "application/json": {
                    /** @enum {string} */
                    status: "ready" | "degraded" | "unavailable";
                    checks: {
                        /** @enum {string} */
                        redis: "ok" | "unreachable";
                        /** @description Executors seen (heartbeat) in the last 15 s, per target. */
                        workers?: {
                            [key: string]: number;
                        };
                        /** @description Notifier processes seen in the last 15 s. */
                        notifiers?: number;
                        targetsWithoutWorkers?: string[];
                    };
                };
            };
        };
        /** @description An error (see the code table in the description). */
        Problem: {
            headers: {
                "X-Request-Id": components["headers"]["XRequestId"];
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /**
         * @description `headers_too_large`: the request headers exceed 16 KiB. Node's HTTP parser refuses the
         *     request before any route sees it, so this answer, on any path, carries no `X-Request-Id`.
         */
        HeadersTooLarge: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description `unauthorized`: no API key, or not a valid one. */
        Unauthorized: {
            headers: {
                "X-Request-Id": components["headers"]["XRequestId"];
                "WWW-Authenticate": string;
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description `rate_limited` (request rate), `quota_exceeded` (unfinished jobs) or `too_many_waiting` (held requests) for the tenant. */
        RateLimited: {
            headers: {
                "X-Request-Id": components["headers"]["XRequestId"];
                "Retry-After": components["headers"]["RetryAfter"];
                "RateLimit-Limit": components["headers"]["RateLimitLimit"];
                "RateLimit-Remaining": components["headers"]["RateLimitRemaining"];
                "RateLimit-Reset": components["headers"]["RateLimitReset"];
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description `redis_unavailable` (the job store is unreachable; nothing was stored), `replication_timeout` (submits with `REDIS_WAIT_REPLICAS` set: the replicas did not confirm the job in time; it was removed again), `queue_full` (submits) or `gateway_busy` (held requests). */
        Unavailable: {
            headers: {
                "X-Request-Id": components["headers"]["XRequestId"];
                "Retry-After": components["headers"]["RetryAfter"];
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
    };
    parameters: {
        JobId: string;
        Target: string;
        /**
         * @description RFC 7240. `respond-async` is always honoured; `wait=N` asks the gateway to hold the
         *     answer up to N seconds (bounded by the server's maxWaitSeconds) and answer 200 with
         *     the finished job if it ends in time. A tenant already at its limit of held requests
         *     gets the `202` at once (the job is admitted either way); `Preference-Applied` then
         *     lacks `wait`.
         */
        Prefer: string;
        /**
         * @description IETF httpapi draft: a structured-field string (`"abc"`; a bare token `abc` works too),
         *     1-255 characters, scoped to the tenant. The same key with the same request returns the
         *     first answer with `Idempotent-Replayed: true`; with a different request, 422
         *     `idempotency_key_reused`; while the first is being admitted, 409 `idempotency_key_in_use`.
         */
        IdempotencyKey: string;
        /** @description The correlation id (1-128 of `A-Za-z0-9._:@/+=-`); generated when absent or unsafe. */
        XRequestIdIn: string;
        /** @description W3C trace context; its trace id becomes the correlation id when no X-Request-Id is sent. With tracing on, the gateway's span for the request, and through it every span of the job, is its child (the job's `traceId`). */
        Traceparent: string;
    };
    requestBodies: never;
    headers: {
        /** @description The request's correlation id, stored with the job and sent upstream. */
        XRequestId: string;
        /** @description Seconds to wait before polling again. */
        RetryAfter: number;
        /** @description The job's absolute URL. */
        Location: string;
        /** @description The job's absolute URL, for long-running-operation pollers. */
        OperationLocation: string;
        /** @description The preferences that shaped the answer (`respond-async`, `wait=N`). */
        PreferenceApplied: string;
        /** @description Requests the tenant may make per window (IETF RateLimit header fields draft). */
        RateLimitLimit: number;
        /** @description Requests left in the current window. */
        RateLimitRemaining: number;
        /** @description Seconds until the window resets. */
        RateLimitReset: number;
        /** @description Always includes Prefer. */
        Vary: string;
    };
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    listJobs: {
        parameters: {
            query?: {
                status?: components["schemas"]["JobStatus"];
                target?: string;
                correlationId?: string;
                /** @description `metadata.K=V` (one parameter per label) keeps jobs whose metadata has K equal to V. */
                metadata?: {
                    [key: string]: string;
                };
                limit?: number;
                /** @description The `nextCursor` of the previous page (opaque). */
                cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of jobs. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["JobList"];
                };
            };
            400: components["responses"]["Problem"];
            401: components["responses"]["Unauthorized"];
            429: components["responses"]["RateLimited"];
            503: components["responses"]["Unavailable"];
        };
    };
    submitJob: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description RFC 7240. `respond-async` is always honoured; `wait=N` asks the gateway to hold the
                 *     answer up to N seconds (bounded by the server's maxWaitSeconds) and answer 200 with
                 *     the finished job if it ends in time. A tenant already at its limit of held requests
                 *     gets the `202` at once (the job is admitted either way); `Preference-Applied` then
                 *     lacks `wait`.
                 */
                Prefer?: components["parameters"]["Prefer"];
                /**
                 * @description IETF httpapi draft: a structured-field string (`"abc"`; a bare token `abc` works too),
                 *     1-255 characters, scoped to the tenant. The same key with the same request returns the
                 *     first answer with `Idempotent-Replayed: true`; with a different request, 422
                 *     `idempotency_key_reused`; while the first is being admitted, 409 `idempotency_key_in_use`.
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
                /** @description The correlation id (1-128 of `A-Za-z0-9._:@/+=-`); generated when absent or unsafe. */
                "X-Request-Id"?: components["parameters"]["XRequestIdIn"];
                /** @description W3C trace context; its trace id becomes the correlation id when no X-Request-Id is sent. With tracing on, the gateway's span for the request, and through it every span of the job, is its child (the job's `traceId`). */
                traceparent?: components["parameters"]["Traceparent"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SubmitRequest"];
            };
        };
        responses: {
            200: components["responses"]["FinishedWithinWait"];
            202: components["responses"]["Accepted"];
            400: components["responses"]["Problem"];
            401: components["responses"]["Unauthorized"];
            409: components["responses"]["Problem"];
            413: components["responses"]["Problem"];
            415: components["responses"]["Problem"];
            422: components["responses"]["Problem"];
            429: components["responses"]["RateLimited"];
            431: components["responses"]["HeadersTooLarge"];
            500: components["responses"]["Problem"];
            503: components["responses"]["Unavailable"];
        };
    };
    submitBatch: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description IETF httpapi draft: a structured-field string (`"abc"`; a bare token `abc` works too),
                 *     1-255 characters, scoped to the tenant. The same key with the same request returns the
                 *     first answer with `Idempotent-Replayed: true`; with a different request, 422
                 *     `idempotency_key_reused`; while the first is being admitted, 409 `idempotency_key_in_use`.
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
                /** @description The correlation id (1-128 of `A-Za-z0-9._:@/+=-`); generated when absent or unsafe. */
                "X-Request-Id"?: components["parameters"]["XRequestIdIn"];
                /** @description W3C trace context; its trace id becomes the correlation id when no X-Request-Id is sent. With tracing on, the gateway's span for the request, and through it every span of the job, is its child (the job's `traceId`). */
                traceparent?: components["parameters"]["Traceparent"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["BatchRequest"];
            };
        };
        responses: {
            /** @description Every job is stored and queued. `Location` is the batch's URL. */
            202: {
                headers: {
                    /** @description The batch's URL. */
                    Location?: string;
                    "Retry-After": components["headers"]["RetryAfter"];
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BatchDocument"];
                };
            };
            400: components["responses"]["Problem"];
            401: components["responses"]["Unauthorized"];
            409: components["responses"]["Problem"];
            413: components["responses"]["Problem"];
            415: components["responses"]["Problem"];
            422: components["responses"]["Problem"];
            429: components["responses"]["RateLimited"];
            503: components["responses"]["Unavailable"];
        };
    };
    getBatch: {
        parameters: {
            query?: {
                /** @description Hold the answer until every job of the batch has ended or this many seconds pass (at most the server's maxWaitSeconds). It counts as one held request of the tenant. */
                wait?: number;
            };
            header?: never;
            path: {
                /** @description The batch id (`bat_…`). */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The batch document. `Retry-After` is set while any job is unfinished. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BatchDocument"];
                };
            };
            400: components["responses"]["Problem"];
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["Problem"];
            429: components["responses"]["RateLimited"];
            503: components["responses"]["Unavailable"];
        };
    };
    getJob: {
        parameters: {
            query?: {
                /** @description Hold the answer until the job ends or this many seconds pass (at most the server's maxWaitSeconds). A held request of an unfinished job counts against the tenant's `maxWaiting` (`429 too_many_waiting` beyond it) and the gateway's `server.maxWaiting` (`503 gateway_busy`). */
                wait?: number;
            };
            header?: never;
            path: {
                id: components["parameters"]["JobId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The job document. `Retry-After` is set while the job is unfinished. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["JobDocument"];
                };
            };
            400: components["responses"]["Problem"];
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["Problem"];
            429: components["responses"]["RateLimited"];
            503: components["responses"]["Unavailable"];
        };
    };
    deleteJob: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: components["parameters"]["JobId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["Canceled"];
            202: components["responses"]["CancelRequested"];
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["Problem"];
            409: components["responses"]["Problem"];
            429: components["responses"]["RateLimited"];
            503: components["responses"]["Unavailable"];
        };
    };
    cancelJob: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: components["parameters"]["JobId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["Canceled"];
            202: components["responses"]["CancelRequested"];
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["Problem"];
            409: components["responses"]["Problem"];
            429: components["responses"]["RateLimited"];
            503: components["responses"]["Unavailable"];
        };
    };
    getJobResult: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: components["parameters"]["JobId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The result. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": unknown;
                    "*/*": unknown;
                };
            };
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["Problem"];
            /** @description `job_not_finished` (with `Retry-After`), `job_failed` (with `jobError`) or `job_canceled`. */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            429: components["responses"]["RateLimited"];
            503: components["responses"]["Unavailable"];
        };
    };
    listDeliveries: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: components["parameters"]["JobId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Each attempt with its time, status code or error, duration and outcome. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        items: components["schemas"]["Delivery"][];
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["Problem"];
            429: components["responses"]["RateLimited"];
            503: components["responses"]["Unavailable"];
        };
    };
    streamJobEvents: {
        parameters: {
            query?: never;
            header?: {
                "Last-Event-ID"?: string;
            };
            path: {
                id: components["parameters"]["JobId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description An event stream. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "text/event-stream": string;
                };
            };
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["Problem"];
            429: components["responses"]["RateLimited"];
            503: components["responses"]["Unavailable"];
        };
    };
    transparentGet: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description RFC 7240. `respond-async` is always honoured; `wait=N` asks the gateway to hold the
                 *     answer up to N seconds (bounded by the server's maxWaitSeconds) and answer 200 with
                 *     the finished job if it ends in time. A tenant already at its limit of held requests
                 *     gets the `202` at once (the job is admitted either way); `Preference-Applied` then
                 *     lacks `wait`.
                 */
                Prefer?: components["parameters"]["Prefer"];
                /**
                 * @description IETF httpapi draft: a structured-field string (`"abc"`; a bare token `abc` works too),
                 *     1-255 characters, scoped to the tenant. The same key with the same request returns the
                 *     first answer with `Idempotent-Replayed: true`; with a different request, 422
                 *     `idempotency_key_reused`; while the first is being admitted, 409 `idempotency_key_in_use`.
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
                /** @description Push the outcome to this URL as a signed webhook (every event), as `callback.url` does for POST /v1/jobs. */
                "Callback-Url"?: string;
            };
            path: {
                target: string;
                /**
                 * @description The path suffix (any number of segments, possibly none: `/v1/async/{target}` works
                 *     too), appended to the target URL's path. Dot segments and encoded slashes are
                 *     refused with 400.
                 */
                path: string;
            };
            cookie?: never;
        };
        /** @description The raw body, of any media type, stored byte for byte. */
        requestBody?: {
            content: {
                "*/*": unknown;
            };
        };
        responses: {
            200: components["responses"]["FinishedWithinWait"];
            202: components["responses"]["Accepted"];
            400: components["responses"]["Problem"];
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["Problem"];
            409: components["responses"]["Problem"];
            413: components["responses"]["Problem"];
            422: components["responses"]["Problem"];
            429: components["responses"]["RateLimited"];
            431: components["responses"]["HeadersTooLarge"];
            503: components["responses"]["Unavailable"];
        };
    };
    transparentPut: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description RFC 7240. `respond-async` is always honoured; `wait=N` asks the gateway to hold the
                 *     answer up to N seconds (bounded by the server's maxWaitSeconds) and answer 200 with
                 *     the finished job if it ends in time. A tenant already at its limit of held requests
                 *     gets the `202` at once (the job is admitted either way); `Preference-Applied` then
                 *     lacks `wait`.
                 */
                Prefer?: components["parameters"]["Prefer"];
                /**
                 * @description IETF httpapi draft: a structured-field string (`"abc"`; a bare token `abc` works too),
                 *     1-255 characters, scoped to the tenant. The same key with the same request returns the
                 *     first answer with `Idempotent-Replayed: true`; with a different request, 422
                 *     `idempotency_key_reused`; while the first is being admitted, 409 `idempotency_key_in_use`.
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
                /** @description Push the outcome to this URL as a signed webhook (every event), as `callback.url` does for POST /v1/jobs. */
                "Callback-Url"?: string;
            };
            path: {
                target: string;
                /**
                 * @description The path suffix (any number of segments, possibly none: `/v1/async/{target}` works
                 *     too), appended to the target URL's path. Dot segments and encoded slashes are
                 *     refused with 400.
                 */
                path: string;
            };
            cookie?: never;
        };
        /** @description The raw body, of any media type, stored byte for byte. */
        requestBody?: {
            content: {
                "*/*": unknown;
            };
        };
        responses: {
            200: components["responses"]["FinishedWithinWait"];
            202: components["responses"]["Accepted"];
            400: components["responses"]["Problem"];
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["Problem"];
            409: components["responses"]["Problem"];
            413: components["responses"]["Problem"];
            422: components["responses"]["Problem"];
            429: components["responses"]["RateLimited"];
            431: components["responses"]["HeadersTooLarge"];
            503: components["responses"]["Unavailable"];
        };
    };
    transparentPost: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description RFC 7240. `respond-async` is always honoured; `wait=N` asks the gateway to hold the
                 *     answer up to N seconds (bounded by the server's maxWaitSeconds) and answer 200 with
                 *     the finished job if it ends in time. A tenant already at its limit of held requests
                 *     gets the `202` at once (the job is admitted either way); `Preference-Applied` then
                 *     lacks `wait`.
                 */
                Prefer?: components["parameters"]["Prefer"];
                /**
                 * @description IETF httpapi draft: a structured-field string (`"abc"`; a bare token `abc` works too),
                 *     1-255 characters, scoped to the tenant. The same key with the same request returns the
                 *     first answer with `Idempotent-Replayed: true`; with a different request, 422
                 *     `idempotency_key_reused`; while the first is being admitted, 409 `idempotency_key_in_use`.
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
                /** @description Push the outcome to this URL as a signed webhook (every event), as `callback.url` does for POST /v1/jobs. */
                "Callback-Url"?: string;
            };
            path: {
                target: string;
                /**
                 * @description The path suffix (any number of segments, possibly none: `/v1/async/{target}` works
                 *     too), appended to the target URL's path. Dot segments and encoded slashes are
                 *     refused with 400.
                 */
                path: string;
            };
            cookie?: never;
        };
        /** @description The raw body, of any media type, stored byte for byte. */
        requestBody?: {
            content: {
                "*/*": unknown;
            };
        };
        responses: {
            200: components["responses"]["FinishedWithinWait"];
            202: components["responses"]["Accepted"];
            400: components["responses"]["Problem"];
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["Problem"];
            409: components["responses"]["Problem"];
            413: components["responses"]["Problem"];
            422: components["responses"]["Problem"];
            429: components["responses"]["RateLimited"];
            431: components["responses"]["HeadersTooLarge"];
            503: components["responses"]["Unavailable"];
        };
    };
    transparentDelete: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description RFC 7240. `respond-async` is always honoured; `wait=N` asks the gateway to hold the
                 *     answer up to N seconds (bounded by the server's maxWaitSeconds) and answer 200 with
                 *     the finished job if it ends in time. A tenant already at its limit of held requests
                 *     gets the `202` at once (the job is admitted either way); `Preference-Applied` then
                 *     lacks `wait`.
                 */
                Prefer?: components["parameters"]["Prefer"];
                /**
                 * @description IETF httpapi draft: a structured-field string (`"abc"`; a bare token `abc` works too),
                 *     1-255 characters, scoped to the tenant. The same key with the same request returns the
                 *     first answer with `Idempotent-Replayed: true`; with a different request, 422
                 *     `idempotency_key_reused`; while the first is being admitted, 409 `idempotency_key_in_use`.
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
                /** @description Push the outcome to this URL as a signed webhook (every event), as `callback.url` does for POST /v1/jobs. */
                "Callback-Url"?: string;
            };
            path: {
                target: string;
                /**
                 * @description The path suffix (any number of segments, possibly none: `/v1/async/{target}` works
                 *     too), appended to the target URL's path. Dot segments and encoded slashes are
                 *     refused with 400.
                 */
                path: string;
            };
            cookie?: never;
        };
        /** @description The raw body, of any media type, stored byte for byte. */
        requestBody?: {
            content: {
                "*/*": unknown;
            };
        };
        responses: {
            200: components["responses"]["FinishedWithinWait"];
            202: components["responses"]["Accepted"];
            400: components["responses"]["Problem"];
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["Problem"];
            409: components["responses"]["Problem"];
            413: components["responses"]["Problem"];
            422: components["responses"]["Problem"];
            429: components["responses"]["RateLimited"];
            431: components["responses"]["HeadersTooLarge"];
            503: components["responses"]["Unavailable"];
        };
    };
    transparentPatch: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description RFC 7240. `respond-async` is always honoured; `wait=N` asks the gateway to hold the
                 *     answer up to N seconds (bounded by the server's maxWaitSeconds) and answer 200 with
                 *     the finished job if it ends in time. A tenant already at its limit of held requests
                 *     gets the `202` at once (the job is admitted either way); `Preference-Applied` then
                 *     lacks `wait`.
                 */
                Prefer?: components["parameters"]["Prefer"];
                /**
                 * @description IETF httpapi draft: a structured-field string (`"abc"`; a bare token `abc` works too),
                 *     1-255 characters, scoped to the tenant. The same key with the same request returns the
                 *     first answer with `Idempotent-Replayed: true`; with a different request, 422
                 *     `idempotency_key_reused`; while the first is being admitted, 409 `idempotency_key_in_use`.
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
                /** @description Push the outcome to this URL as a signed webhook (every event), as `callback.url` does for POST /v1/jobs. */
                "Callback-Url"?: string;
            };
            path: {
                target: string;
                /**
                 * @description The path suffix (any number of segments, possibly none: `/v1/async/{target}` works
                 *     too), appended to the target URL's path. Dot segments and encoded slashes are
                 *     refused with 400.
                 */
                path: string;
            };
            cookie?: never;
        };
        /** @description The raw body, of any media type, stored byte for byte. */
        requestBody?: {
            content: {
                "*/*": unknown;
            };
        };
        responses: {
            200: components["responses"]["FinishedWithinWait"];
            202: components["responses"]["Accepted"];
            400: components["responses"]["Problem"];
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["Problem"];
            409: components["responses"]["Problem"];
            413: components["responses"]["Problem"];
            422: components["responses"]["Problem"];
            429: components["responses"]["RateLimited"];
            431: components["responses"]["HeadersTooLarge"];
            503: components["responses"]["Unavailable"];
        };
    };
    listTargets: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Every configured target. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        items: components["schemas"]["TargetView"][];
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Problem"];
            429: components["responses"]["RateLimited"];
            503: components["responses"]["Unavailable"];
        };
    };
    getTarget: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                target: components["parameters"]["Target"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["TargetView"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Problem"];
            404: components["responses"]["Problem"];
            429: components["responses"]["RateLimited"];
            503: components["responses"]["Unavailable"];
        };
    };
    pauseTarget: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                target: components["parameters"]["Target"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["TargetView"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Problem"];
            404: components["responses"]["Problem"];
            429: components["responses"]["RateLimited"];
            503: components["responses"]["Unavailable"];
        };
    };
    setTargetCircuit: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                target: components["parameters"]["Target"];
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @enum {string} */
                    state: "open" | "closed";
                };
            };
        };
        responses: {
            200: components["responses"]["TargetView"];
            400: components["responses"]["Problem"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Problem"];
            404: components["responses"]["Problem"];
            409: components["responses"]["Problem"];
            415: components["responses"]["Problem"];
            422: components["responses"]["Problem"];
            429: components["responses"]["RateLimited"];
            503: components["responses"]["Unavailable"];
        };
    };
    resumeTarget: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                target: components["parameters"]["Target"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["TargetView"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Problem"];
            404: components["responses"]["Problem"];
            429: components["responses"]["RateLimited"];
            503: components["responses"]["Unavailable"];
        };
    };
    listTargetJobs: {
        parameters: {
            query?: {
                /** @description `live`: running, then waiting (in run order), then delayed. `recent`: the last 200 finished, newest first (written once a second). */
                view?: "live" | "recent";
                limit?: number;
            };
            header?: never;
            path: {
                target: components["parameters"]["Target"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Job documents, whichever tenant owns them. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        items: components["schemas"]["JobDocument"][];
                    };
                };
            };
            400: components["responses"]["Problem"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Problem"];
            404: components["responses"]["Problem"];
            429: components["responses"]["RateLimited"];
            503: components["responses"]["Unavailable"];
        };
    };
    inspectJob: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: components["parameters"]["JobId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The job's timeline. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["JobTimeline"];
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Problem"];
            404: components["responses"]["Problem"];
            429: components["responses"]["RateLimited"];
            503: components["responses"]["Unavailable"];
        };
    };
    activity: {
        parameters: {
            query?: {
                minutes?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description One series per target, oldest minute first. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Activity"];
                };
            };
            400: components["responses"]["Problem"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Problem"];
            429: components["responses"]["RateLimited"];
            503: components["responses"]["Unavailable"];
        };
    };
    listDeadLetters: {
        parameters: {
            query?: {
                limit?: number;
                offset?: number;
                target?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of dead letters; `total` counts those of `target` when it is given, else all. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        items: components["schemas"]["JobDocument"][];
                        total: number;
                    };
                };
            };
            400: components["responses"]["Problem"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Problem"];
            429: components["responses"]["RateLimited"];
            503: components["responses"]["Unavailable"];
        };
    };
    getDeadLetter: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: components["parameters"]["JobId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The job and its attempts. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeadLetter"];
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Problem"];
            404: components["responses"]["Problem"];
            429: components["responses"]["RateLimited"];
            503: components["responses"]["Unavailable"];
        };
    };
    purgeDeadLetter: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: components["parameters"]["JobId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Purged. */
            204: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Problem"];
            404: components["responses"]["Problem"];
            429: components["responses"]["RateLimited"];
            503: components["responses"]["Unavailable"];
        };
    };
    replayDeadLetter: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: components["parameters"]["JobId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The job, queued again. */
            202: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["JobDocument"];
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Problem"];
            404: components["responses"]["Problem"];
            429: components["responses"]["RateLimited"];
            503: components["responses"]["Unavailable"];
        };
    };
    replayDeadLetters: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["BulkRequest"];
            };
        };
        responses: {
            /** @description What was replayed. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        replayed: string[];
                        notFound: string[];
                    };
                };
            };
            400: components["responses"]["Problem"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Problem"];
            404: components["responses"]["Problem"];
            415: components["responses"]["Problem"];
            422: components["responses"]["Problem"];
            429: components["responses"]["RateLimited"];
            503: components["responses"]["Unavailable"];
        };
    };
    purgeDeadLetters: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["BulkRequest"];
            };
        };
        responses: {
            /** @description What was purged. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        purged: string[];
                        notFound: string[];
                    };
                };
            };
            400: components["responses"]["Problem"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Problem"];
            404: components["responses"]["Problem"];
            415: components["responses"]["Problem"];
            422: components["responses"]["Problem"];
            429: components["responses"]["RateLimited"];
            503: components["responses"]["Unavailable"];
        };
    };
    listWebhookDeadLetters: {
        parameters: {
            query?: {
                limit?: number;
                offset?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of jobs (see each job's deliveries for the attempts). */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        items: components["schemas"]["JobDocument"][];
                        total: number;
                    };
                };
            };
            400: components["responses"]["Problem"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Problem"];
            429: components["responses"]["RateLimited"];
            503: components["responses"]["Unavailable"];
        };
    };
    purgeWebhookDeadLetter: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: components["parameters"]["JobId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Removed from the webhook dead letters. */
            204: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Problem"];
            404: components["responses"]["Problem"];
            429: components["responses"]["RateLimited"];
            503: components["responses"]["Unavailable"];
        };
    };
    redeliverWebhook: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: components["parameters"]["JobId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The job, its callback pending again. */
            202: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["JobDocument"];
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Problem"];
            404: components["responses"]["Problem"];
            429: components["responses"]["RateLimited"];
            503: components["responses"]["Unavailable"];
        };
    };
    healthz: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The process is alive. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @enum {string} */
                        status: "ok";
                    };
                };
            };
            431: components["responses"]["HeadersTooLarge"];
        };
    };
    readyz: {
        parameters: {
            query?: {
                strict?: "true" | "false";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["Readiness"];
            431: components["responses"]["HeadersTooLarge"];
            503: components["responses"]["Readiness"];
        };
    };
    metrics: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Prometheus text exposition. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "text/plain": string;
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Problem"];
        };
    };
    whoAmI: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The key behind the session (or `open` without keys). */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        keyId: string;
                        tenant: string;
                        /** @enum {string} */
                        role: "admin";
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Problem"];
            429: components["responses"]["RateLimited"];
            503: components["responses"]["Unavailable"];
        };
    };
    signIn: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    apiKey: string;
                };
            };
        };
        responses: {
            /** @description Signed in. */
            204: {
                headers: {
                    "Set-Cookie"?: string;
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Problem"];
            422: components["responses"]["Problem"];
            503: components["responses"]["Unavailable"];
        };
    };
    signOut: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Signed out (the cookie is cleared). */
            204: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            403: components["responses"]["Problem"];
            431: components["responses"]["HeadersTooLarge"];
            503: components["responses"]["Unavailable"];
        };
    };
    openapi: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The OpenAPI document. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/yaml": string;
                };
            };
            431: components["responses"]["HeadersTooLarge"];
        };
    };
}
