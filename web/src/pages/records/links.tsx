// Links from an alert's or event's `item` (`host/ID`, `target/ID`,
// `filesystem/ID`, `ha_cluster/ID`, `command/ID`, `job/ID`) and from ids in its `details`
// to the console page that shows the object.
import { Typography } from 'antd';
import { Link, useNavigate } from 'react-router-dom';
import { get } from '../../api';

type Details = Record<string, unknown> | null | undefined;

/**
 * The console page of `kind`/`id` as far as it is known without asking the
 * API: Configure has no page per server or per target, so a server opens
 * the server list and a target its file system's page (found on click).
 */
export function pageOf(kind: string, id: string, details?: Details): string | undefined {
  switch (kind) {
    case 'host':
      return `/configure/servers?id=${id}`;
    case 'target':
      return typeof details?.filesystem_id === 'string' ? `/configure/filesystems/${details.filesystem_id}` : undefined;
    case 'filesystem':
      return `/configure/filesystems/${id}`;
    case 'ha_cluster':
      return `/configure/ha-clusters?id=${id}`;
    case 'command':
      return `/jobs/${id}`;
    case 'job':
      return typeof details?.command_id === 'string' ? `/jobs/${details.command_id}` : undefined;
    default:
      return undefined;
  }
}

/** Where to find the page of a job or target the details do not place. */
const RESOLVE: Record<string, { api: string; fallback: string; page: (o: Record<string, unknown>) => string | undefined }> = {
  // A job's page is its command's.
  job: { api: 'job', fallback: '/jobs', page: (o) => (typeof o.command === 'string' ? `/jobs/${o.command}` : undefined) },
  // A target shows on its file system's page.
  target: {
    api: 'target',
    fallback: '/configure/filesystems',
    page: (o) => (typeof o.filesystem_id === 'string' ? `/configure/filesystems/${o.filesystem_id}` : undefined),
  },
};

/** `kind/ID` split in two, or undefined for anything else. */
export function splitItem(item: string | null | undefined): [string, string] | undefined {
  if (!item) return undefined;
  const slash = item.indexOf('/');
  if (slash <= 0 || slash === item.length - 1) return undefined;
  return [item.slice(0, slash), item.slice(slash + 1)];
}

/**
 * The object an API change was about, from its request path
 * (`/api/target/ID/failover` → `target/ID`), when the event names none.
 */
export function itemOfPath(path: unknown): string | undefined {
  if (typeof path !== 'string') return undefined;
  const m = path.match(/^\/api\/(host|target|filesystem|ha_cluster|command|job)\/([0-9a-f-]{36})(?:\/|$)/i);
  return m ? `${m[1]}/${m[2]}` : undefined;
}

/**
 * How an item reads in a table: the kind and a short id, its end (ids are
 * UUIDv7, whose beginnings are the time they were made, alike for objects
 * made together).
 */
function label(kind: string, id: string): string {
  return `${kind} ${id.length > 8 ? `…${id.slice(-8)}` : id}`;
}

/** A link that reads the object on click to find its page (the list when it cannot). */
function ResolvedLink({ kind, id, text }: { kind: string; id: string; text: string }) {
  const navigate = useNavigate();
  const how = RESOLVE[kind];
  return (
    <Link
      to={how.fallback}
      title={`${kind}/${id}`}
      data-testid="item-link"
      onClick={(e) => {
        e.preventDefault();
        get<Record<string, unknown>>(`/${how.api}/${id}`)
          .then((object) => navigate(how.page(object) ?? how.fallback))
          .catch(() => navigate(how.fallback));
      }}
    >
      {text}
    </Link>
  );
}

/** An item as a link to its page (plain text when the console has none). */
export function ItemLink({ item, details, full = false }: { item: string | null | undefined; details?: Details; full?: boolean }) {
  const parts = splitItem(item);
  if (!parts) return <span>{item || '–'}</span>;
  const [kind, id] = parts;
  const text = full ? `${kind}/${id}` : label(kind, id);
  const to = pageOf(kind, id, details);
  if (to) {
    return (
      <Link to={to} title={item ?? undefined} data-testid="item-link">
        {text}
      </Link>
    );
  }
  if (RESOLVE[kind]) return <ResolvedLink kind={kind} id={id} text={text} />;
  return <span title={item ?? undefined}>{text}</span>;
}

/** Keys of `details` that hold an id of something with a page. */
const ID_KEYS: Record<string, string> = {
  host_id: 'host',
  primary_host_id: 'host',
  target_id: 'target',
  filesystem_id: 'filesystem',
  ha_cluster_id: 'ha_cluster',
  command_id: 'command',
  job_id: 'job',
};

/** A details value, linked when its key names an object. */
export function DetailValue({ name, value, details }: { name: string; value: unknown; details?: Details }) {
  const kind = ID_KEYS[name];
  if (kind && typeof value === 'string') return <ItemLink item={`${kind}/${value}`} details={details} full />;
  if (value === null || value === undefined) return <span>–</span>;
  if (typeof value === 'object') {
    return (
      <Typography.Text code style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}>
        {JSON.stringify(value)}
      </Typography.Text>
    );
  }
  return <span style={{ wordBreak: 'break-word' }}>{String(value)}</span>;
}
