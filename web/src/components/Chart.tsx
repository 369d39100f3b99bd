// ECharts in a React component: one chart instance per element, resized
// with its container (dashboard widgets are resized by the user).
import * as echarts from 'echarts';
import { useEffect, useRef } from 'react';

export type ChartOption = echarts.EChartsCoreOption;

interface Props {
  option: ChartOption;
  /**
   * Replace the whole option. By default a new option is merged, its
   * series replacing the old ones, so what the user chose (legend entries
   * turned off) survives the live re-reads.
   */
  replace?: boolean;
  onClick?: (params: echarts.ECElementEvent) => void;
  style?: React.CSSProperties;
  testId?: string;
}

export default function Chart({ option, replace = false, onClick, style, testId }: Props) {
  const element = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts>(undefined);
  const clicked = useRef(onClick);
  clicked.current = onClick;

  useEffect(() => {
    if (!element.current) return;
    const instance = echarts.init(element.current, undefined, { renderer: 'canvas' });
    chart.current = instance;
    instance.on('click', (params) => clicked.current?.(params as echarts.ECElementEvent));
    const observer = new ResizeObserver(() => instance.resize());
    observer.observe(element.current);
    return () => {
      observer.disconnect();
      instance.dispose();
      chart.current = undefined;
    };
  }, []);

  useEffect(() => {
    chart.current?.setOption(option, replace ? { notMerge: true } : { replaceMerge: ['series'] });
  }, [option, replace]);

  return <div ref={element} data-testid={testId} style={{ width: '100%', height: '100%', minHeight: 120, ...style }} />;
}
