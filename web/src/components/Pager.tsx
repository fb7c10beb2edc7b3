/**
 * Previous/next paging under a table or list: a navigation landmark with two buttons around the
 * current position ("Page 2 of 5", "Profiles 11–20 of 23"). The caller owns the page state, so
 * the same control serves page numbers (segments, search) and offsets with an unknown end
 * (the builder's preview, where only the server knows whether a next page exists).
 */
import type { ReactNode } from 'react';
import { Button } from 'react-aria-components';

export function Pager({
  label,
  position,
  previousLabel = 'Previous page',
  nextLabel = 'Next page',
  hasPrevious,
  hasNext,
  onPrevious,
  onNext,
}: {
  /** The landmark's name; a page with two pagers needs two names. */
  label: string;
  position: ReactNode;
  previousLabel?: string;
  nextLabel?: string;
  hasPrevious: boolean;
  hasNext: boolean;
  onPrevious: () => void;
  onNext: () => void;
}) {
  return (
    <nav aria-label={label} className="pager">
      <Button className="btn" isDisabled={!hasPrevious} onPress={onPrevious}>
        {previousLabel}
      </Button>
      {/* polite: the new position is announced after a press, as the rows change silently */}
      <span aria-live="polite">{position}</span>
      <Button className="btn" isDisabled={!hasNext} onPress={onNext}>
        {nextLabel}
      </Button>
    </nav>
  );
}
