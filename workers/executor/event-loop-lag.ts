import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/** How often the lag is read and the histogram reset: about two reports' worth. */
const PERIOD_MS = 100;

/**
 * This process's recent event-loop lag: how late timers (and so the handling of answers)
 * ran over the last ~100 ms. An attempt's measured call time includes that lag; adaptive
 * concurrency takes it off, so that an executor short of CPU does not blame its upstream.
 * One per process, started on first use.
 */
class EventLoopLag {
  private histogram: IntervalHistogram | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastMeanMs = 0;
  private users = 0;

  /** The mean lag over the last period, ms (0 before the first period ends). */
  get recentMs(): number {
    return this.lastMeanMs;
  }

  acquire(): void {
    if (this.users++ > 0) return;
    this.histogram = monitorEventLoopDelay({ resolution: 10 });
    this.histogram.enable();
    this.timer = setInterval(() => {
      const h = this.histogram!;
      // The histogram counts the delay of its own 10 ms timer; the resolution itself is not lag.
      this.lastMeanMs = h.count > 0 ? Math.max(0, h.mean / 1e6 - 10) : this.lastMeanMs;
      h.reset();
    }, PERIOD_MS);
    this.timer.unref();
  }

  release(): void {
    if (--this.users > 0) return;
    if (this.timer) clearInterval(this.timer);
    this.histogram?.disable();
    this.histogram = null;
    this.timer = null;
    this.lastMeanMs = 0;
  }
}

export const eventLoopLag = new EventLoopLag();
