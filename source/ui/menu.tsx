import {Box, Text, useInput} from 'ink';
import {useRef, useState} from 'react';

/** The dashboard's home: a list of [id, label] items. */
export function Menu({
  items,
  onChoose,
}: {
  items: readonly (readonly [string, string])[];
  onChoose: (item: string) => void;
}) {
  const [index, setIndexState] = useState(0);
  // Keys read the choice from a ref: ↓ then Enter can both arrive before the next render.
  const indexRef = useRef(0);
  const setIndex = (next: number) => {
    indexRef.current = next;
    setIndexState(next);
  };
  useInput((_input, key) => {
    if (key.upArrow) setIndex(Math.max(0, indexRef.current - 1));
    else if (key.downArrow) setIndex(Math.min(items.length - 1, indexRef.current + 1));
    else if (key.return) onChoose(items[indexRef.current]?.[0] ?? 'quit');
  });
  return (
    <Box flexDirection="column">
      <Text bold>The Visual Cortex</Text>
      {items.map(([item, label], position) => (
        <Text key={item} color={position === index ? 'cyan' : undefined}>
          {position === index ? '› ' : '  '}
          {label}
        </Text>
      ))}
      <Text dimColor>↑↓ move · Enter choose · Ctrl+C quit</Text>
    </Box>
  );
}
