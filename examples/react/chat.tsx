/**
 * A chat room on one topic with the hooks: its messages, who is here, and a
 * form to say something.
 *
 * @module
 */

import { type ReactElement, useState } from "react";
import { usePresence, usePublish, useRealtime, useSubscription } from "@realtime/hub/react";

/** A chat line's payload. */
interface Line {
  text: string;
}

/**
 * The room.
 *
 * @param props The topic.
 * @returns The room's element.
 */
export function Chat(props: { topic: string }): ReactElement {
  const { state } = useRealtime();
  const { messages, error, state: subscription } = useSubscription<Line>(props.topic, {
    limit: 100,
    presence: true,
  });
  const { members } = usePresence(props.topic);
  const publish = usePublish();
  const [text, setText] = useState("");
  const users = [...new Set(members.map((m) => m.user))].sort();
  return (
    <section>
      <p id="state">{state}</p>
      <p id="subscription">{subscription}</p>
      <ul id="members">{users.map((user) => <li key={user}>{user}</li>)}</ul>
      <ul id="messages">
        {messages.map((m, i) => <li key={m.offset ?? i}>{`${m.from}: ${m.payload.text}`}</li>)}
      </ul>
      {error === undefined ? null : <p id="error">{error.message}</p>}
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (text === "") return;
          void publish(props.topic, { text });
          setText("");
        }}
      >
        <input
          id="text"
          value={text}
          onChange={(event) => setText((event.target as unknown as { value: string }).value)}
        />
        <button id="say" type="submit">Say</button>
      </form>
    </section>
  );
}
