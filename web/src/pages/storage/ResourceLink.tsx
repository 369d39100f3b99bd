// A resource as the page names it everywhere: a health dot, its class
// label and its name, linking to it on this page (keeping the filters and
// the target being shown).
import { Tooltip, Typography } from 'antd';
import { Link, useLocation } from 'react-router-dom';
import { HEALTH_COLOURS, healthOf, nameOf, type Catalogue, type Health } from './model';
import type { Resource } from './types';

const HEALTH_TEXT: Record<Health, string> = {
  ok: 'Healthy',
  bad: 'Faulty: an active alert, or a status other than ok',
  removed: 'Removed: gone from its plugin’s last detection',
};

/** A dot coloured by health, with the reason as a tooltip. */
export function HealthDot({ health, below = false }: { health: Health; below?: boolean }) {
  const colour = HEALTH_COLOURS[health];
  // A healthy node hiding a faulty one below it: a red ring around its dot.
  const ring = below && health === 'ok';
  return (
    <Tooltip title={ring ? 'Healthy, but something below it is not' : HEALTH_TEXT[health]}>
      <span
        aria-label={health}
        data-health={health}
        style={{
          display: 'inline-block',
          width: 10,
          height: 10,
          borderRadius: '50%',
          background: colour,
          boxShadow: ring ? `0 0 0 2px ${HEALTH_COLOURS.bad}` : undefined,
          flex: 'none',
        }}
      />
    </Tooltip>
  );
}

/** The URL of this page with `changes` applied to its query. */
export function useStorageHref() {
  const location = useLocation();
  return (changes: Record<string, string | undefined>) => {
    const params = new URLSearchParams(location.search);
    for (const [key, value] of Object.entries(changes)) {
      if (value) params.set(key, value);
      else params.delete(key);
    }
    return `/storage?${params.toString()}`;
  };
}

export default function ResourceLink({ resource, catalogue }: { resource: Resource; catalogue: Catalogue }) {
  const href = useStorageHref();
  return (
    <span style={{ display: 'inline-flex', alignItems: 'center', gap: 6 }}>
      <HealthDot health={healthOf(resource)} />
      <Typography.Text type="secondary">{catalogue.labelOf(resource)}</Typography.Text>
      <Link to={href({ resource: resource.id })} data-testid="storage-link" data-id={resource.id}>
        {nameOf(resource)}
      </Link>
    </span>
  );
}
