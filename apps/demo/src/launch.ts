/**
 * What the address asks for on open: `?room=NAME&name=ALICE` opens room NAME as ALICE,
 * `?invite=CODE` joins a private room; without either, the first room joined before is shown.
 */
import type { useMeshStore } from './stores/mesh'
import type { useRoomsStore } from './stores/rooms'

export interface LaunchStores {
  readonly mesh: Pick<ReturnType<typeof useMeshStore>, 'setName'>
  readonly rooms: Pick<ReturnType<typeof useRoomsStore>, 'join' | 'acceptInvite' | 'setActive' | 'active' | 'joined'>
}

/** Applies the launch parameters to started stores (rooms.start() already ran). */
export const applyLaunchParams = (search: string, { mesh, rooms }: LaunchStores): void => {
  const params = new URLSearchParams(search)
  const name = params.get('name')
  if (name !== null) mesh.setName(name)
  const room = params.get('room')
  const invite = params.get('invite')
  if (invite !== null) rooms.acceptInvite(invite)
  else if (room !== null) rooms.join({ name: room, kind: 'public' })
  else if (rooms.active === null && rooms.joined[0] !== undefined) rooms.setActive(rooms.joined[0].name)
}
