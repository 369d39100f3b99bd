// The progress of the last command started from a page, until dismissed.
import { Card } from 'antd';
import { useCallback, useState } from 'react';
import CommandProgress from './CommandProgress';

/** A command id to follow, and `follow(response)` taking the id from an action's answer. */
export function useRecentCommand() {
  const [id, setId] = useState<string>();
  const follow = useCallback((response: unknown) => {
    const command = (response as { command?: string | null } | null)?.command;
    if (command) setId(command);
  }, []);
  return { id, follow, dismiss: () => setId(undefined) };
}

export default function RecentCommand({ id, onClose }: { id: string | undefined; onClose: () => void }) {
  if (!id) return null;
  return (
    <Card
      size="small"
      title="Progress"
      style={{ marginBottom: 12 }}
      extra={
        <a onClick={onClose} role="button">
          Dismiss
        </a>
      }
    >
      <CommandProgress id={id} />
    </Card>
  );
}
