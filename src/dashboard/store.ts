// Holds the dashboard's data outside React, so the view can be unmounted (to attach a console)
// and mounted again without losing anything, and so the feed can update it without a render tree.
// Listeners are told at most once per `coalesceMs`: a burst of events is one render.
import { visibleKey } from './lines.ts';
import { type DashboardData, emptyData } from './model.ts';

export interface StatusLine {
  text: string;
  kind: 'progress' | 'ok' | 'error';
  at: number;
}

export class DashboardStore {
  private data: DashboardData;
  private status: StatusLine | null = null;
  private readonly listeners = new Set<() => void>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    url: string,
    private readonly coalesceMs = 16,
  ) {
    this.data = emptyData(url);
    this.shown = this.data;
  }

  get = (): DashboardData => this.data;

  private shown: DashboardData;
  private shownKey = '';
  private keyed: DashboardData | null = null;

  /**
   * The data as the list last showed it: a new object only when something visible changed
   * (visibleKey). The view reads this while the details pane is closed, so an update that
   * changes nothing on screen is no render (React compares snapshots by identity).
   */
  getShown = (): DashboardData => {
    if (this.keyed !== this.data) {
      this.keyed = this.data;
      const key = visibleKey(this.data, Date.now());
      if (key !== this.shownKey) {
        this.shownKey = key;
        this.shown = this.data;
      }
    }
    return this.shown;
  };

  getStatus = (): StatusLine | null => this.status;

  update(fn: (d: DashboardData) => DashboardData): void {
    this.data = { ...fn(this.data), updatedAt: Date.now() };
    this.notify();
  }

  setStatus(text: string, kind: StatusLine['kind']): void {
    this.status = { text, kind, at: Date.now() };
    this.notify();
  }

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  private notify(): void {
    if (this.coalesceMs <= 0) {
      for (const l of this.listeners) l();
      return;
    }
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      for (const l of this.listeners) l();
    }, this.coalesceMs);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.listeners.clear();
  }
}
