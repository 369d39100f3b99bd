// The widgets on a 12-column grid sized by the page's width: dragged by
// their title, resized by their corner. Narrow screens stack them, fixed.
import { Empty } from 'antd';
import { useMemo } from 'react';
import ReactGridLayout, { useContainerWidth, type Layout } from 'react-grid-layout';
import { COLUMNS, type Placement } from './layout';
import { DRAG_HANDLE } from './WidgetCard';
import { WIDGETS } from './widgets';

/** Below this width widgets are stacked one per row and cannot be moved. */
const STACK_BELOW = 768;

interface Props {
  widgets: Placement[];
  onChange: (widgets: Placement[]) => void;
}

/** Rows grow with the width, so a wall display keeps the charts' shapes. */
const rowHeight = (width: number) => Math.round(Math.min(110, Math.max(48, width / 26)));

function stacked(widgets: Placement[]): Placement[] {
  let y = 0;
  return [...widgets]
    .sort((a, b) => a.y - b.y || a.x - b.x)
    .map((w) => {
      const item = { ...w, x: 0, y, w: COLUMNS };
      y += w.h;
      return item;
    });
}

export default function WidgetGrid({ widgets, onChange }: Props) {
  const { width, containerRef, mounted } = useContainerWidth();
  const narrow = width < STACK_BELOW;

  const layout: Layout = useMemo(
    () =>
      (narrow ? stacked(widgets) : widgets).map(({ i, x, y, w, h, type }) => ({
        i,
        x,
        y,
        w,
        h,
        minW: Math.min(WIDGETS[type].minW, COLUMNS),
        minH: WIDGETS[type].minH,
      })),
    [widgets, narrow],
  );

  const changed = (next: Layout) => {
    if (narrow) return;
    const byId = new Map(next.map((item) => [item.i, item]));
    let moved = false;
    const placed = widgets.map((w) => {
      const item = byId.get(w.i);
      if (!item || (item.x === w.x && item.y === w.y && item.w === w.w && item.h === w.h)) return w;
      moved = true;
      return { ...w, x: item.x, y: item.y, w: item.w, h: item.h };
    });
    if (moved) onChange(placed);
  };

  const remove = (i: string) => onChange(widgets.filter((w) => w.i !== i));

  return (
    <div ref={containerRef}>
      {widgets.length === 0 && (
        <Empty description="No widgets: add one with “Add widget”, or reset the layout" style={{ marginTop: 48 }} />
      )}
      {mounted && (
        <ReactGridLayout
          width={width}
          layout={layout}
          gridConfig={{ cols: COLUMNS, rowHeight: rowHeight(width), margin: [12, 12], containerPadding: [0, 0] }}
          dragConfig={{ enabled: !narrow, handle: `.${DRAG_HANDLE}` }}
          resizeConfig={{ enabled: !narrow }}
          onLayoutChange={changed}
        >
          {widgets.map((w) => {
            const Widget = WIDGETS[w.type].component;
            return (
              <div key={w.i}>
                <Widget onRemove={() => remove(w.i)} />
              </div>
            );
          })}
        </ReactGridLayout>
      )}
    </div>
  );
}
