// A bordered list of rows (antd's List is deprecated in 6.6 and Listy is a
// virtual list, more than a handful of jobs needs).
import { theme } from 'antd';
import type { HTMLAttributes, ReactNode } from 'react';

interface Props<T> {
  items: T[];
  rowKey: (item: T, index: number) => string;
  render: (item: T, index: number) => ReactNode;
  /** Extra attributes per row (data-testid, data-state). */
  rowProps?: (item: T) => HTMLAttributes<HTMLDivElement>;
  header?: ReactNode;
}

export default function Rows<T>({ items, rowKey, render, rowProps, header }: Props<T>) {
  const { token } = theme.useToken();
  const border = `1px solid ${token.colorBorderSecondary}`;
  return (
    <div style={{ border, borderRadius: token.borderRadiusLG }}>
      {header && <div style={{ padding: '8px 16px', borderBottom: border }}>{header}</div>}
      {items.map((item, i) => (
        <div
          key={rowKey(item, i)}
          {...rowProps?.(item)}
          style={{
            display: 'flex',
            alignItems: 'center',
            justifyContent: 'space-between',
            gap: 12,
            padding: '8px 16px',
            borderTop: i === 0 ? undefined : border,
          }}
        >
          {render(item, i)}
        </div>
      ))}
    </div>
  );
}
