import {Box, Text, useInput} from 'ink';
import {useState} from 'react';

/** The dashboard's home: a list of [id, label] items. */
export function Menu({
  items,
  onChoose,
}: {
  items: readonly (readonly [string, string])[];
  onChoose: (item: string) => void;
}) {
  const [index, setIndex] = useState(0);
  useInput((_input, key) => {
    if (key.upArrow) setIndex((i) => Math.max(0, i - 1));
    else if (key.downArrow) setIndex((i) => Math.min(items.length - 1, i + 1));
    else if (key.return) onChoose(items[index]?.[0] ?? 'quit');
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
