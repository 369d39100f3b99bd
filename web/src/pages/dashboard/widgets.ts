// The kinds of widget a Dashboard can hold, with the size each starts at.
import type { ComponentType } from 'react';
import type { WidgetProps } from './WidgetCard';
import BandwidthWidget from './widgets/BandwidthWidget';
import CapacityWidget from './widgets/CapacityWidget';
import HeatmapWidget from './widgets/HeatmapWidget';
import MetadataWidget from './widgets/MetadataWidget';
import OstBalanceWidget from './widgets/OstBalanceWidget';
import ServersWidget from './widgets/ServersWidget';

export interface WidgetKind {
  label: string;
  component: ComponentType<WidgetProps>;
  /** Size in grid cells (12 columns) when added. */
  w: number;
  h: number;
  minW: number;
  minH: number;
}

export const WIDGETS = {
  capacity: { label: 'Capacity and inodes', component: CapacityWidget, w: 4, h: 5, minW: 2, minH: 3 },
  bandwidth: { label: 'Read/write bandwidth', component: BandwidthWidget, w: 8, h: 5, minW: 3, minH: 3 },
  metadata: { label: 'Metadata operations', component: MetadataWidget, w: 6, h: 5, minW: 3, minH: 3 },
  'ost-balance': { label: 'OST balance', component: OstBalanceWidget, w: 6, h: 5, minW: 2, minH: 3 },
  heatmap: { label: 'OST read/write heat map', component: HeatmapWidget, w: 7, h: 6, minW: 3, minH: 3 },
  servers: { label: 'Server CPU and memory', component: ServersWidget, w: 5, h: 6, minW: 3, minH: 4 },
} satisfies Record<string, WidgetKind>;

export type WidgetType = keyof typeof WIDGETS;

export const isWidgetType = (text: unknown): text is WidgetType => typeof text === 'string' && text in WIDGETS;
