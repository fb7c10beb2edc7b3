/**
 * The Estimate region: the estimated size as digits, its share of all profiles, the 95% interval
 * when sampled or "exact", progress while running, and a visible "stale" mark when the shown
 * result no longer belongs to the text in the editor.
 */
import { ProgressBar, Label } from 'react-aria-components';
import type { Estimate } from '../../api/types.ts';
import type { LiveEstimate } from './useLiveEstimate.ts';

export interface EstimateFacts {
  size: number;
  total: number;
  share: number;
  exact: boolean;
  interval: { low: number; high: number } | undefined;
}

/** What an estimate says: size, share, exact or sampled with its 95% interval. */
export function estimateFacts(e: Estimate): EstimateFacts {
  const total = e.totalRows;
  const share = total > 0 ? e.estimatedSize / total : 0;
  const exact = e.exact;
  const interval = exact
    ? undefined
    : { low: e.confidenceIntervalLow, high: e.confidenceIntervalHigh };
  return { size: e.estimatedSize, total, share, exact, interval };
}

export function formatShare(share: number): string {
  const pct = share * 100;
  return `${pct >= 10 || pct === 0 ? pct.toFixed(1) : pct.toPrecision(2)}%`;
}

export function EstimatePanel({
  live,
  currentText,
  checksClean,
}: {
  live: LiveEstimate;
  /** The text in the editor now. */
  currentText: string;
  /** Whether the text in the editor checks without errors. */
  checksClean: boolean;
}) {
  const shown = live.status === 'failed' ? null : live.estimate;
  const stale =
    shown !== null &&
    (live.text !== currentText ||
      !checksClean ||
      live.status === 'waiting' ||
      live.status === 'running');
  const facts = shown ? estimateFacts(shown) : null;
  const running = live.status === 'running' || live.status === 'waiting';
  const progress = live.progress;
  const progressValue =
    progress && progress.numRowsToRead > 0
      ? Math.min(100, (progress.profilesReadSoFar / progress.numRowsToRead) * 100)
      : undefined;

  return (
    <section aria-labelledby="estimate-title" className="panel estimate">
      <h3 id="estimate-title">Estimate</h3>
      {running && (
        <ProgressBar
          className="progress"
          {...(progressValue === undefined ? { isIndeterminate: true } : { value: progressValue })}
        >
          {({ percentage }) => (
            <>
              <Label>
                {live.status === 'waiting' ? 'Waiting for typing to pause…' : 'Estimating…'}
              </Label>
              <div className="bar">
                <div className="fill" style={{ width: `${percentage ?? 30}%` }} />
              </div>
              {progress && (
                <span className="muted small">
                  {progress.profilesReadSoFar} of {progress.numRowsToRead} profiles read,{' '}
                  {progress.profilesMatchedSoFar} matched so far (≈ {progress.estimatedSize})
                </span>
              )}
            </>
          )}
        </ProgressBar>
      )}
      {live.status === 'failed' && (
        <p role="alert" className="error">
          {live.error}
        </p>
      )}
      {facts && (
        <div
          className={stale ? 'estimate-body is-stale' : 'estimate-body'}
          aria-describedby={stale ? 'estimate-stale' : undefined}
        >
          {stale && (
            <p id="estimate-stale" className="stale-badge">
              Stale:{' '}
              {checksClean
                ? 'the expression changed; refreshing'
                : 'the expression has errors; this is the last valid result'}
            </p>
          )}
          <dl>
            <div>
              <dt>Estimated size</dt>
              <dd>
                <output className="big" aria-label="Estimated size" data-testid="estimated-size">
                  {facts.size}
                </output>{' '}
                profiles
              </dd>
            </div>
            <div>
              <dt>Share of all profiles</dt>
              <dd>
                {formatShare(facts.share)} of {facts.total}
              </dd>
            </div>
            <div>
              <dt>Accuracy</dt>
              <dd>
                {facts.exact
                  ? 'exact'
                  : facts.interval
                    ? `95% interval ${facts.interval.low} – ${facts.interval.high} (sampled)`
                    : 'sampled'}
              </dd>
            </div>
          </dl>
        </div>
      )}
      {!facts && !running && live.status !== 'failed' && (
        <p className="muted">
          The estimate appears by itself when the expression checks without errors.
        </p>
      )}
    </section>
  );
}
