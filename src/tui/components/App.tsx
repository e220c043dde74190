/**
 * The workbench screen. It reads the controller's snapshot and hands key
 * presses to it through one always-on input listener; everything else lives
 * in the controller and the reducers.
 */
import { Box, useInput } from 'ink';
import { useCallback } from 'react';
import { basename } from 'node:path';
import type { AppController } from '../app-controller.js';
import { useControllerSnapshot } from '../hooks/use-controller-snapshot.js';
import { useTerminalResize } from '../hooks/use-terminal-resize.js';
import { bindingFor, displayKey } from '../key-bindings.js';
import { useRawInput } from '../shell/use-raw-input.js';
import { BottomPane } from './BottomPane.js';
import { HelpScreen } from './HelpScreen.js';
import { LayerPane } from './LayerPane.js';
import { ShellPane } from './ShellPane.js';
import { StatusBar } from './StatusBar.js';
import { StepsPane } from './StepsPane.js';

const key = (command: Parameters<typeof bindingFor>[0]): string => displayKey(bindingFor(command).keys[0]!);

export function App({ controller }: { controller: AppController }) {
  const snapshot = useControllerSnapshot(controller);
  // The shell's keys, raw: subscribed before useInput so it sees every event first.
  useRawInput((data) => controller.handleRawInput(data));
  // One always-on input listener (TUI-NOTES.md): a stable handler keeps Ink from re-subscribing.
  const onInput = useCallback((input: string, key: Parameters<AppController['handleInput']>[1]) => controller.handleInput(input, key), [controller]);
  useInput(onInput);
  useTerminalResize((columns, rows) => controller.resize(columns, rows));
  const { ui, layout } = snapshot;
  if (ui.help) {
    return (
      <Box flexDirection="column" width={layout.width} height={layout.height}>
        <HelpScreen width={layout.width} height={layout.height - 1} />
        <StatusBar ui={ui} width={layout.width} busy={controller.session.busy} />
      </Box>
    );
  }
  return (
    <Box flexDirection="column" width={layout.width} height={layout.height}>
      <Box flexDirection="row" height={layout.topHeight}>
        <StepsPane
          rows={snapshot.stepRows}
          cursor={ui.stepCursor}
          stepCount={snapshot.steps.length}
          scroll={ui.stepScroll}
          breakpoints={snapshot.breakpoints}
          now={snapshot.now}
          width={layout.stepsWidth}
          height={layout.topHeight}
          focused={ui.focus === 'steps'}
          title={basename(controller.session.dockerfilePath)}
        />
        <LayerPane
          view={snapshot.layerView}
          rows={snapshot.layerRows}
          isCollapsed={snapshot.isCollapsed}
          ui={ui}
          width={layout.layerWidth}
          height={layout.topHeight}
          focused={ui.focus === 'layer'}
          showCursor={ui.focus === 'bottom' && ui.detailOf === 'layer'}
        />
      </Box>
      {snapshot.shell ? (
        <ShellPane
          screen={snapshot.shell.screen}
          title={snapshot.shell.title}
          rightTitle={snapshot.shell.focused ? `${key('shell.leave')} leaves` : `${key('shell.open')} types here · ${key('shell.fullScreen')} full screen`}
          width={layout.width}
          height={layout.bottomHeight}
          focused={snapshot.shell.focused}
        />
      ) : (
        <BottomPane
          title={snapshot.bottom.title}
          lines={snapshot.bottom.lines}
          scroll={ui.bottomScroll}
          view={ui.bottomView}
          width={layout.width}
          height={layout.bottomHeight}
          focused={ui.focus === 'bottom'}
        />
      )}
      <StatusBar ui={ui} width={layout.width} busy={controller.session.busy} />
    </Box>
  );
}
