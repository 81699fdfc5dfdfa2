import type { Probot } from 'probot';

/** The Probot app function: wires handlers, nothing else. */
export default function app(probot: Probot): void {
  probot.log.info('infra-review loaded');
}
