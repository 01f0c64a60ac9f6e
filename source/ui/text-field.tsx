/**
 * A one-line text field. ink-text-input (which this replaces) computed every edit from the value it was last
 * rendered with, so keys that arrived before the next render (fast typing on a loaded machine) all edited the same
 * old value and only the last one counted. Here the latest value and cursor live in a ref that each key updates at
 * once, so every key counts whenever the screen catches up.
 */
import {Text, useInput} from 'ink';
import {useReducer, useRef} from 'react';

export interface TextFieldProps {
  value: string;
  onChange: (value: string) => void;
  onSubmit?: (value: string) => void;
  /** Whether the field shows as focused, and (without `isFocused`) whether keys go to it (default true). */
  focus?: boolean;
  /**
   * Whether keys go to this field, asked as each key arrives. A screen that moves the focus between fields
   * passes it: a field's `focus` changes with the next render, but its key handler is swapped only after that
   * render is drawn, so a key typed just after the move went to the field the focus had left.
   */
  isFocused?: () => boolean;
  showCursor?: boolean;
  placeholder?: string;
}

export function TextField({
  value,
  onChange,
  onSubmit,
  focus = true,
  isFocused,
  showCursor = true,
  placeholder = '',
}: TextFieldProps) {
  // The latest props for a handler that may still be the one an earlier render subscribed.
  const latest = useRef({isFocused, onChange, onSubmit});
  latest.current = {isFocused, onChange, onSubmit};
  // `emitted`: values sent to onChange that have not come back as `value` yet.
  const field = useRef({value, cursor: value.length, seen: value, emitted: [] as string[]});
  const [, redraw] = useReducer((count: number) => count + 1, 0);
  if (value !== field.current.seen) {
    const ours = field.current.emitted.indexOf(value);
    // Our own edit coming back keeps the latest value and cursor; anything else was set from outside (a preset
    // loaded, a field cleared): it replaces ours, with the cursor at its end.
    field.current =
      ours >= 0
        ? {...field.current, seen: value, emitted: field.current.emitted.slice(ours + 1)}
        : {value, cursor: value.length, seen: value, emitted: []};
  }

  useInput(
    (input, key) => {
      const {isFocused: askFocus, onChange: change, onSubmit: submit} = latest.current;
      if (askFocus && !askFocus()) return;
      if (key.upArrow || key.downArrow || key.tab || key.escape || key.pageUp || key.pageDown) return;
      if (key.ctrl && input === 'c') return;
      const current = field.current;
      if (key.return) return submit?.(current.value);
      let {value: next, cursor} = current;
      if (key.leftArrow) cursor = Math.max(0, cursor - 1);
      else if (key.rightArrow) cursor = Math.min(next.length, cursor + 1);
      else if (key.home) cursor = 0;
      else if (key.end) cursor = next.length;
      else if (key.backspace || key.delete) ({value: next, cursor} = typeRun(next, cursor, '\u007F'));
      else if (input.length > 0 && !key.ctrl && !key.meta) {
        ({value: next, cursor} = typeRun(next, cursor, input));
      }
      const changed = next !== current.value;
      field.current = {
        ...current,
        value: next,
        cursor,
        emitted: changed ? [...current.emitted, next] : current.emitted,
      };
      if (changed) change(next);
      else if (cursor !== current.cursor) redraw();
    },
    {isActive: isFocused ? true : focus},
  );

  const {value: shown, cursor} = field.current;
  if (!focus || !showCursor) {
    return shown.length > 0 ? <Text>{shown}</Text> : <Text dimColor>{placeholder}</Text>;
  }
  if (shown.length === 0) {
    return (
      <Text>
        <Text inverse>{placeholder.slice(0, 1) || ' '}</Text>
        <Text dimColor>{placeholder.slice(1)}</Text>
      </Text>
    );
  }
  return (
    <Text>
      {shown.slice(0, cursor)}
      <Text inverse>{shown.slice(cursor, cursor + 1) || ' '}</Text>
      {shown.slice(cursor + 1)}
    </Text>
  );
}

/**
 * Ink hands keys that arrive together (a paste, keys typed while the machine is busy, a held key) to the handler
 * as one string, where a backspace is a DEL character rather than a key: apply each in turn, and drop the other
 * control characters rather than typing them into the field.
 */
function typeRun(value: string, cursor: number, run: string): {value: string; cursor: number} {
  for (const char of run) {
    if (char === '\u007F' || char === '\b') {
      if (cursor === 0) continue;
      // A character outside the BMP is two UTF-16 units: delete both.
      const width = cursor >= 2 && /[\uDC00-\uDFFF]/.test(value[cursor - 1] ?? '') ? 2 : 1;
      value = value.slice(0, cursor - width) + value.slice(cursor);
      cursor -= width;
    } else if (char >= ' ') {
      value = value.slice(0, cursor) + char + value.slice(cursor);
      cursor += char.length;
    }
  }
  return {value, cursor};
}
