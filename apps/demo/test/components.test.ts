/** The components, mounted alone (stores on a fresh pinia hold what they show). */
import { describe, expect, it } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import MessageComposer from '../src/components/MessageComposer.vue'
import MessageList from '../src/components/MessageList.vue'
import RoomSidebar from '../src/components/RoomSidebar.vue'
import ChatPane from '../src/components/ChatPane.vue'
import TopologyGraph from '../src/components/TopologyGraph.vue'
import { useChatStore, type RoomView, type ViewMessage } from '../src/stores/chat'
import { useRoomsStore } from '../src/stores/rooms'
import { useMeshStore } from '../src/stores/mesh'

const message = (over: Partial<ViewMessage>): ViewMessage => ({
  id: 'm1', from: 'p', name: 'Alice', text: 'hello', at: 0, mine: false, status: null, queued: false, replyToText: null, ...over
})

const view = (over: Partial<RoomView>): RoomView => ({ messages: [], members: [], typing: [], unread: 0, queued: 0, connected: 0, ...over })

describe('MessageComposer', () => {
  it('has a "Message" textbox and a "Send" button; Enter and the button send the trimmed text and clear it', async () => {
    const w = mount(MessageComposer, { props: { replyTo: null } })
    expect(w.find('label[for="message-input"]').text()).toBe('Message')
    expect(w.find('button[type="submit"]').text()).toBe('Send')
    const input = w.find('#message-input')
    await input.setValue('hi there')
    await input.trigger('keydown', { key: 'Enter' })
    expect(w.emitted('send')).toEqual([['hi there']])
    expect((input.element as HTMLInputElement).value).toBe('')
    await input.setValue('second')
    await w.find('form').trigger('submit')
    expect(w.emitted('send')?.[1]).toEqual(['second'])
    await input.setValue('   ')
    await w.find('form').trigger('submit')
    expect(w.emitted('send')).toHaveLength(2)
    expect(w.emitted('typing')?.length).toBeGreaterThan(0)
  })

  it('shows what is being replied to, and cancels it', async () => {
    const w = mount(MessageComposer, { props: { replyTo: message({ text: 'the original' }) } })
    expect(w.text()).toContain('Replying to Alice')
    await w.find('button[aria-label="Cancel reply"]').trigger('click')
    expect(w.emitted('cancel-reply')).toHaveLength(1)
  })
})

describe('MessageList', () => {
  it('lists messages with their status (queued wins), quotes replies, and emits reply', async () => {
    const w = mount(MessageList, {
      props: {
        messages: [
          message({ id: 'a', text: 'from alice' }),
          message({ id: 'b', mine: true, text: 'mine read', status: 'read' }),
          message({ id: 'c', mine: true, text: 'mine stored', status: 'stored' }),
          message({ id: 'd', mine: true, text: 'mine queued', status: 'sending', queued: true, replyTo: 'a', replyToText: 'from alice' })
        ]
      }
    })
    expect(w.find('ol[aria-label="Messages"]').exists()).toBe(true)
    const items = w.findAll('li.message')
    expect(items.map((i) => i.find('.text').text())).toEqual(['from alice', 'mine read', 'mine stored', 'mine queued'])
    expect(items.map((i) => i.find('.status').exists() ? i.find('.status').text() : null)).toEqual([null, 'read', 'stored', 'queued'])
    expect(items[3]!.find('blockquote').text()).toBe('from alice')
    await items[0]!.find('button').trigger('click')
    expect(w.emitted('reply')?.[0]?.[0]).toMatchObject({ id: 'a' })
  })

  it('says so when there are no messages', () => {
    expect(mount(MessageList, { props: { messages: [] } }).text()).toContain('No messages yet')
  })
})

describe('RoomSidebar', () => {
  it('lists joined rooms with unread badges, direct conversations, and only the public rooms not joined yet', async () => {
    const pinia = createPinia()
    setActivePinia(pinia)
    const rooms = useRoomsStore(pinia)
    const chat = useChatStore(pinia)
    rooms.joined = [{ name: 'general', kind: 'public' }, { name: 'secret', kind: 'private', password: 'x' }, { name: 'dm-1', kind: 'direct', password: 'y', with: 'Bob' }]
    rooms.publicRooms = [{ name: 'general', createdAt: 0, createdBy: 'A' }, { name: 'lobby', createdAt: 0, createdBy: 'B' }]
    rooms.active = 'general'
    chat.rooms.general = view({ unread: 4 })
    chat.rooms.secret = view({ unread: 2 })
    chat.rooms['dm-1'] = view({ unread: 1 })
    const w = mount(RoomSidebar, { global: { plugins: [pinia] } })
    const buttons = w.findAll('button.room')
    // The shown room has no badge: it is being read.
    expect(buttons.map((b) => b.findAll('span').map((x) => x.text()).join('|'))).toEqual(['# general', '🔒 secret|2', '@ Bob|1'])
    expect(w.findAll('.badge').map((x) => x.attributes('aria-label'))).toEqual(['2 unread', '1 unread'])
    expect(w.findAll('li.discover').map((li) => li.text())).toEqual(['# lobby Join'])
    await buttons[1]!.trigger('click')
    expect(rooms.active).toBe('secret')
  })
})

describe('ChatPane', () => {
  it('shows presence, typing, the direct-message buttons, and what waits to be delivered while offline', () => {
    const pinia = createPinia()
    setActivePinia(pinia)
    useMeshStore(pinia).peerId = 'me'
    const rooms = useRoomsStore(pinia)
    rooms.joined = [{ name: 'general', kind: 'public' }]
    rooms.active = 'general'
    useChatStore(pinia).rooms.general = view({
      messages: [message({ id: 'q', mine: true, text: 'later', status: 'sending', queued: true })],
      members: [{ id: 'me', name: 'Me', role: 'browser', typing: false }, { id: 'b', name: 'Bob', role: 'browser', typing: true }, { id: 'a', name: 'anchor', role: 'anchor', typing: false }],
      typing: ['Bob'],
      queued: 1
    })
    const w = mount(ChatPane, { global: { plugins: [pinia] } })
    expect(w.find('h2').text()).toBe('# general')
    expect(w.find('.presence').text()).toContain('offline: messages wait')
    expect(w.find('.presence').text()).toContain('here: Bob, anchor')
    expect(w.find('[data-testid="queued-banner"]').text()).toBe('1 message waiting: it goes out when a peer or the anchor is reachable.')
    expect(w.find('.typing').text()).toBe('Bob is typing…')
    // Direct conversations with browsers only; no invite link for a public room.
    expect(w.findAll('.actions button').map((b) => b.text())).toEqual(['@Bob', 'Leave'])
    expect(w.find('li.message .status').text()).toBe('queued')
  })
})

describe('TopologyGraph', () => {
  it('draws every peer on a circle (this browser first, labelled "you") and every connection between drawn peers', () => {
    const w = mount(TopologyGraph, {
      props: {
        nodes: [
          { peer: 'b', name: 'Bob', role: 'browser', self: false },
          { peer: 'a', name: 'anchor', role: 'anchor', self: false },
          { peer: 'me', name: 'Me', role: 'browser', self: true }
        ],
        edges: [{ a: 'me', b: 'a' }, { a: 'me', b: 'b' }, { a: 'a', b: 'b' }, { a: 'b', b: 'gone' }]
      }
    })
    expect(w.find('svg').attributes('aria-label')).toBe('Topology: 3 peers, 4 connections')
    expect(w.findAll('text').map((t) => t.text())).toEqual(['Me (you)', 'anchor', 'Bob'])
    // An edge to a peer that is not drawn is left out.
    expect(w.findAll('line')).toHaveLength(3)
    const circles = w.findAll('circle')
    expect(circles.map((c) => c.attributes('fill'))).toEqual(['#3563e9', '#1f9d55', '#3563e9'])
    // This browser sits at the top, larger.
    expect([circles[0]!.attributes('cx'), circles[0]!.attributes('cy'), circles[0]!.attributes('r')]).toEqual(['150', '40', '14'])
  })
})

describe('ChatPane in a private room and a direct conversation', () => {
  it('offers the invite link in a private room, and names the other member in a direct one', async () => {
    const pinia = createPinia()
    setActivePinia(pinia)
    const rooms = useRoomsStore(pinia)
    rooms.joined = [{ name: 'secret', kind: 'private', password: 'pw' }, { name: 'dm-1', kind: 'direct', password: 'x', with: 'Bob' }]
    rooms.active = 'secret'
    const chat = useChatStore(pinia)
    chat.rooms.secret = view({ connected: 2, members: [{ id: 'b', name: 'Bob', role: 'browser', typing: false }] })
    chat.rooms['dm-1'] = view({ connected: 1 })
    const w = mount(ChatPane, { global: { plugins: [pinia] } })
    expect(w.find('.presence').text()).toContain('2 peers connected')
    const invite = w.findAll('.actions button').find((b) => b.text() === 'Copy invite link')!
    await invite.trigger('click')
    await flushPromises()
    expect(invite.text()).toBe('Copied!')
    rooms.active = 'dm-1'
    await flushPromises()
    expect(w.find('h2').text()).toBe('@ Bob')
    expect(w.find('.presence').text()).toContain('1 peer connected')
    // No direct-message buttons inside a direct conversation, no invite link.
    expect(w.findAll('.actions button').map((b) => b.text())).toEqual(['Leave'])
  })

  it('welcomes when no room is open', () => {
    const pinia = createPinia()
    setActivePinia(pinia)
    expect(mount(ChatPane, { global: { plugins: [pinia] } }).text()).toContain('Welcome to ymesh chat')
  })
})
