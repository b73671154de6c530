import time, pytest
pytestmark = [pytest.mark.browser]
def test_dbg(dash_duo, make_app):
    dash_duo.start_server(make_app())
    dash_duo.driver.get(dash_duo.server_url + "/risk-map")
    time.sleep(6)
    dash_duo.driver.save_screenshot("/tmp/dbg.png")
    print("HTML", dash_duo.driver.execute_script("return document.querySelector('#riskmap-graph') ? document.querySelector('#riskmap-graph').innerHTML.slice(0,3000) : 'none'"))
    for e in dash_duo.get_logs() or []: print("LOG", e)
