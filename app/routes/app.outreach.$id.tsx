import { NotesList } from "../components/outreach/NotesList";
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { useFetcher, useLoaderData, useOutletContext } from "@remix-run/react";
import { useAppBridge } from "@shopify/app-bridge-react";
import { BlockStack, Box, Button, Divider, InlineGrid, InlineStack, Link, Modal, Text, TextField } from "@shopify/polaris";
import { useEffect, useState } from "react";
import { adminScope, appContext } from "../app.server";
import { throwAsResponse } from "../lib/http";
import { handleTaskAction, loadTaskDetail } from "../outreach/page.server";
import { StatusBadge } from "../components/outreach/StatusBadge";

export const loader = async ({ request, params }: LoaderFunctionArgs) =>
  adminScope(request, async ({ session }) => {
    await appContext.db.ready();
    try {
      return json(await loadTaskDetail(appContext.db.sql, session.shop, params.id ?? "", appContext.now()));
    } catch (e) {
      throwAsResponse(e);
    }
  });

export const action = async ({ request, params }: ActionFunctionArgs) =>
  adminScope(request, async ({ session }) => {
    await appContext.db.ready();
    const r = await handleTaskAction(appContext.db.sql, session.shop, params.id ?? "", await request.formData(), appContext.now());
    return json(r, { status: r.status });
  });

function newNoteId() {
  return typeof crypto !== "undefined" && "randomUUID" in crypto ? crypto.randomUUID() : "";
}

export default function OutreachTaskModal() {
  const task = useLoaderData<typeof loader>();
  const { close } = useOutletContext<{ close: () => void }>();
  const shopify = useAppBridge();
  const fetcher = useFetcher<{ ok: boolean; message: string }>();
  const [note, setNote] = useState("");
  const [author, setAuthor] = useState(task.concierge.name);
  // One id per note being written: a double-submitted form stores the note once.
  const [noteId, setNoteId] = useState("");
  // eslint-disable-next-line react-hooks/set-state-in-effect -- a random id is made in the browser only, after hydration, so the server render matches
  useEffect(() => setNoteId(newNoteId()), []);

  useEffect(() => {
    if (fetcher.state !== "idle" || !fetcher.data) return;
    shopify.toast.show(fetcher.data.message, { isError: !fetcher.data.ok });
    if (fetcher.data.ok && fetcher.data.message.startsWith("Note")) {
      // eslint-disable-next-line react-hooks/set-state-in-effect -- clears the form once the server has answered (fetcher.data is an external result)
      setNote("");
      setNoteId(newNoteId());
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [fetcher.state, fetcher.data]);

  const busy = fetcher.state !== "idle";
  const move = (to: string) => fetcher.submit({ intent: "transition", to, author }, { method: "post" });

  return (
    <Modal
      open
      onClose={close}
      size="large"
      title={task.name}
      primaryAction={{
        content: "Add note",
        onAction: () => fetcher.submit({ intent: "note", body: note, noteId, author }, { method: "post" }),
        disabled: !note.trim() || busy,
      }}
      secondaryActions={[{ content: "Close", onAction: close }]}
    >
      <Modal.Section>
        <BlockStack gap="400">
          <InlineStack gap="200" blockAlign="center">
            <StatusBadge status={task.status} />
            {task.overdue ? (
              <Text as="span" tone="critical">
                Overdue
              </Text>
            ) : null}
            <Text as="span" tone="subdued">
              {task.email ?? "no email"} · {task.phone && task.phoneHref ? <Link url={task.phoneHref}>{task.phone}</Link> : "no phone"} ·{" "}
              {task.spend} lifetime · {task.orderCount} orders · last {task.lastOrder}
            </Text>
            <Link url={`shopify://admin/customers/${task.customerId}`} target="_top">
              Open in Shopify (addresses)
            </Link>
            <Link url={`/app/customers/${task.customerId}`}>Customer profile</Link>
          </InlineStack>
          <InlineGrid columns={{ xs: 1, md: 2 }} gap="400">
            <BlockStack gap="200">
              <Text as="h3" variant="headingSm">
                Perk
              </Text>
              <Text as="p" fontWeight="semibold">
                {task.perk.text}
              </Text>
              {task.perk.alternatives.length ? (
                <Text as="p" tone="subdued">
                  If it does not land: {task.perk.alternatives.join("; ")}
                </Text>
              ) : null}
              <Text as="h3" variant="headingSm">
                Concierge
              </Text>
              <Text as="p">
                {[task.concierge.name, task.concierge.role].filter(Boolean).join(", ") || "—"} · {task.campaign}
              </Text>
            </BlockStack>
            <BlockStack gap="100">
              {task.dates.map((d) => (
                <InlineStack key={d.label} gap="200" align="space-between">
                  <Text as="span" tone="subdued">
                    {d.label}
                  </Text>
                  <Text as="span">{d.value}</Text>
                </InlineStack>
              ))}
            </BlockStack>
          </InlineGrid>
          <Divider />
          <BlockStack gap="200">
            <Text as="h3" variant="headingSm">
              Check-in script
            </Text>
            <Box background="bg-surface-secondary" padding="300" borderRadius="200">
              <div style={{ whiteSpace: "pre-wrap" }} data-testid="outreach-script">
                {task.script}
              </div>
            </Box>
          </BlockStack>
          <InlineStack gap="200">
            {task.next.map((n) => (
              <Button
                key={n.to}
                onClick={() => move(n.to)}
                disabled={busy}
                tone={n.to === "escalated" ? "critical" : undefined}
                variant={n.to === "contacted" || n.to === "responded" ? "primary" : "secondary"}
              >
                {n.to === "escalated" ? "Escalate to owner" : `Mark ${n.label.toLowerCase()}`}
              </Button>
            ))}
            {task.next.length === 0 ? (
              <Text as="span" tone="success">
                Won back{task.wonBackOrderId ? ` with order ${task.wonBackOrderId}` : ""}. Nothing left to do.
              </Text>
            ) : null}
          </InlineStack>
          <Divider />
          <BlockStack gap="200">
            <Text as="h3" variant="headingSm">
              Notes
            </Text>
            <NotesList notes={task.notes} />
            <InlineGrid columns={{ xs: 1, md: ["oneThird", "twoThirds"] }} gap="200">
              <TextField label="Your name" value={author} onChange={setAuthor} autoComplete="name" />
              <TextField label="New note" value={note} onChange={setNote} multiline={3} autoComplete="off" maxLength={5000} />
            </InlineGrid>
          </BlockStack>
          {task.history.length ? (
            <BlockStack gap="100">
              <Text as="h3" variant="headingSm">
                History
              </Text>
              {task.history.map((h, i) => (
                <Text key={i} as="p" tone="subdued" variant="bodySm">
                  {h.at}: {h.text}
                </Text>
              ))}
            </BlockStack>
          ) : null}
        </BlockStack>
      </Modal.Section>
    </Modal>
  );
}
