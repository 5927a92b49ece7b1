import { List, Text } from "@shopify/polaris";

/** A VIP task's concierge notes, oldest first as the loader gives them (task page and customer profile). */
export function NotesList({ notes }: { notes: Array<{ id: string; at: string; author: string; body: string }> }) {
  if (!notes.length)
    return (
      <Text as="p" tone="subdued">
        No notes yet.
      </Text>
    );
  return (
    <List type="bullet">
      {notes.map((n) => (
        <List.Item key={n.id}>
          <Text as="span" tone="subdued">
            {n.at} · {n.author}:{" "}
          </Text>
          {n.body}
        </List.Item>
      ))}
    </List>
  );
}
